// Hl7.Fhir.Model has a Task resource; in these tests "Task" means the async one.
global using Task = System.Threading.Tasks.Task;
