/**
 * The scanning pipeline: {@link org.mailhygiene.scanners.ScanPipeline} runs a message through its scanners (at once,
 * or in order stopping at the first infection), within a deadline, through a
 * {@link org.mailhygiene.scanners.VerdictCache}, and applies the policy; the result is a
 * {@link org.mailhygiene.scanners.ScanReport}. Scanner families live in the sub-packages.
 */
package org.mailhygiene.scanners;
