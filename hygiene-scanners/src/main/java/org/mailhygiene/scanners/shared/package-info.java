/**
 * The in-process implementation of the shared-state SPI ({@link org.mailhygiene.api.shared}), the embedded default:
 * state shared by the pipelines and listeners of one JVM. The Redis implementation (module hygiene-redis) shares the
 * same state across machines and is held to the same contract tests.
 */
package org.mailhygiene.scanners.shared;
