/** Load generators for the end-to-end relay benchmarks in {@code benchmarks/scripts/}. */
package org.mailhygiene.benchmarks.relay;
