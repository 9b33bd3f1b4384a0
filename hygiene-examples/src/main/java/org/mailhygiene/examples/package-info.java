/** Small, runnable examples of the library API; each one is quoted in the README and covered by a test. */
package org.mailhygiene.examples;
