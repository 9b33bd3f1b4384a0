/**
 * spamd for tests: {@link org.mailhygiene.testkit.spamd.FakeSpamd}, a scriptable SPAMC/1.5 server on 127.0.0.1 that
 * records requests and injects faults, and {@link org.mailhygiene.testkit.spamd.RealSpamd}, which runs the installed
 * SpamAssassin daemon on a free port with a private working directory.
 */
package org.mailhygiene.testkit.spamd;
