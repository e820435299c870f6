-- A delivery attempt's start is again the delivery Task's in-progress version, committed before the peer is contacted
-- (docs/adr/0008): the attempt log of migration 0008 recorded the same thing a second way.
DROP TABLE attempt_log;
