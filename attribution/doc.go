// Package attribution says who changed what, and whether they were allowed
// to: it links drifts to the audit events that touched their resources and
// gives every write event on a managed resource a verdict.
//
// Verdicts:
//
//   - pipeline: a deployer principal of the resource's stack (configured
//     role ARNs, service accounts or patterns) acting while an apply ran;
//   - pipeline_outside_apply: a deployer's credentials used when no apply
//     was running, judged from the stack's state serial: possible
//     credential misuse;
//   - human: anyone else acting through the console, CLI or an SDK,
//     resolved through assumed roles, Identity Center and service-account
//     impersonation to the person where the event says who it was;
//   - service: the cloud acting on its own (autoscaling, a managed service):
//     an AWS service principal, or an event with via=service (gcpaudit sets
//     it for Google-managed service agents such as
//     service-123@compute-system.iam.gserviceaccount.com).
//
// On GCP a deployer is matched by the service account that made the call
// (Principal.ID), the impersonated account (Issuer) or the person behind
// it: a Terraform run impersonating terraform@p.iam.gserviceaccount.com
// matches a rule naming that account; a human impersonating some other
// service account resolves to the person (Person) and is human. A
// long-running operation's first and last entries are one change
// (Config.CountsAsChange).
//
// Anything but pipeline opens an out_of_band_change finding at once, one per
// event and resource, before any inventory confirms the drift. The finding
// resolves when a later apply of its stack (a higher state serial) or a live
// inventory showing the resource back in line says so.
//
// When an apply ran is judged from state serial observations: each cycle
// records, per stack, the serial and when it was first and last seen (in
// the store's checkpoints, committed with the cycle). An apply that produced
// serial n+1 ran between the last sighting of n and the first sighting of
// n+1; a deployer's event in that window (widened by ApplySlack) is
// pipeline. A deployer's event newer than the last sighting is held back for
// up to ApplyGrace, because the apply may still be running; if no new serial
// appears by then, it is pipeline_outside_apply.
//
// Attribution of drift: a drift's Events are the write events recorded for
// its resource (held in open out_of_band_change findings, or read this
// cycle); where the identity table knows which attributes an action changes,
// each drifted attribute names the event that changed it. A resource created
// by hand is reported unmanaged with its creator: create events on resources
// no state knows are remembered (bounded) until an inventory sees them.
package attribution
