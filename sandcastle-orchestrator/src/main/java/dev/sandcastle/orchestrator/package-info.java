/**
 * The multi-tenant layer: one workspace per (user, policy, context), provisioned on demand by a
 * backend, stopped when idle; authentication, state, audit and administration around it.
 */
package dev.sandcastle.orchestrator;
