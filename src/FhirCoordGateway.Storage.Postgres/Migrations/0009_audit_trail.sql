-- The audit trail (docs/adr/0016): one append-only row per AuditEvent instead of a resource row, a change-log row and
-- ~15 search-index rows. The AuditEvent's id is its sequence number; its searches read the columns below.
CREATE TABLE audit_event (
    seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded  timestamptz NOT NULL,
    type      text COLLATE "C" NOT NULL,        -- system|code of AuditEvent.type
    subtypes  text[] NOT NULL,                  -- system|code of each AuditEvent.subtype
    action    text COLLATE "C",
    outcome   text COLLATE "C",
    -- Search keys of the reference and identifier parameters: entity:Type/id, agent:Type/id, patient:Patient/id, altid:value.
    refs      text[] NOT NULL,
    -- The AuditEvent's JSON without id and meta, starting with {"resourceType":"AuditEvent", (served with both added).
    body      text COMPRESSION lz4 NOT NULL
);
CREATE INDEX audit_event_recorded ON audit_event (recorded, seq);
CREATE INDEX audit_event_refs ON audit_event USING gin (refs);

-- AuditEvents recorded as resources before this migration move over, oldest first (they get new ids).
WITH old AS (
    SELECT res_id, body::jsonb AS b FROM resource WHERE res_type = 'AuditEvent' AND NOT deleted
), keys AS (
    SELECT o.res_id,
        ARRAY(SELECT 'entity:' || (e #>> '{what,reference}') FROM jsonb_array_elements(coalesce(o.b -> 'entity', '[]')) e
              WHERE e #>> '{what,reference}' IS NOT NULL)
        || ARRAY(SELECT 'agent:' || (a #>> '{who,reference}') FROM jsonb_array_elements(coalesce(o.b -> 'agent', '[]')) a
              WHERE a #>> '{who,reference}' IS NOT NULL)
        || ARRAY(SELECT 'altid:' || (a ->> 'altId') FROM jsonb_array_elements(coalesce(o.b -> 'agent', '[]')) a
              WHERE a ->> 'altId' IS NOT NULL) AS refs
    FROM old o
)
INSERT INTO audit_event (recorded, type, subtypes, action, outcome, refs, body)
SELECT (o.b ->> 'recorded')::timestamptz,
       coalesce(o.b #>> '{type,system}', '') || '|' || coalesce(o.b #>> '{type,code}', ''),
       ARRAY(SELECT coalesce(s ->> 'system', '') || '|' || coalesce(s ->> 'code', '') FROM jsonb_array_elements(coalesce(o.b -> 'subtype', '[]')) s),
       o.b ->> 'action',
       o.b ->> 'outcome',
       k.refs || ARRAY(SELECT 'patient:' || substr(r, length(split_part(r, ':', 1)) + 2) FROM unnest(k.refs) r
                       WHERE r LIKE 'entity:Patient/%' OR r LIKE 'agent:Patient/%'),
       '{"resourceType":"AuditEvent",' || substr((o.b - 'id' - 'meta' - 'resourceType')::text, 2)
FROM old o JOIN keys k ON k.res_id = o.res_id
ORDER BY (o.b ->> 'recorded')::timestamptz, o.res_id;

DELETE FROM sp_token WHERE res_id IN (SELECT res_id FROM resource WHERE res_type = 'AuditEvent');
DELETE FROM sp_string WHERE res_id IN (SELECT res_id FROM resource WHERE res_type = 'AuditEvent');
DELETE FROM sp_date WHERE res_id IN (SELECT res_id FROM resource WHERE res_type = 'AuditEvent');
DELETE FROM sp_number WHERE res_id IN (SELECT res_id FROM resource WHERE res_type = 'AuditEvent');
DELETE FROM sp_quantity WHERE res_id IN (SELECT res_id FROM resource WHERE res_type = 'AuditEvent');
DELETE FROM sp_uri WHERE res_id IN (SELECT res_id FROM resource WHERE res_type = 'AuditEvent');
DELETE FROM sp_reference WHERE res_id IN (SELECT res_id FROM resource WHERE res_type = 'AuditEvent');
DELETE FROM sp_composite WHERE res_id IN (SELECT res_id FROM resource WHERE res_type = 'AuditEvent');
DELETE FROM resource_history WHERE res_id IN (SELECT res_id FROM resource WHERE res_type = 'AuditEvent');
DELETE FROM change_log WHERE res_type = 'AuditEvent';
DELETE FROM resource WHERE res_type = 'AuditEvent';
