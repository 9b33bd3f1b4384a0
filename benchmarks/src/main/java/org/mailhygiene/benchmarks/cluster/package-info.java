/** Benchmarks of relay nodes that share state through Redis. */
package org.mailhygiene.benchmarks.cluster;
