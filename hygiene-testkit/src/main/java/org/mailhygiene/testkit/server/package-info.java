/**
 * The core every protocol fake of the testkit is built on: {@link org.mailhygiene.testkit.server.FakeServer} (loopback
 * listeners, the accept loop, connection tracking and a close that ends every connection, stalled ones included), one
 * fault model ({@link org.mailhygiene.testkit.server.Fault}, scripted per command with
 * {@link org.mailhygiene.testkit.server.FaultScript}) and one recording model
 * ({@link org.mailhygiene.testkit.server.RequestLog} of {@link org.mailhygiene.testkit.server.Recorded} requests,
 * with a blocking {@code takeRequest(Duration)} as in OkHttp's MockWebServer).
 *
 * <p>{@code FakeClamd}, {@code FakeSpamd} and {@code SmtpSink} use it; a new fake (a milter client, a DNS server)
 * needs only its protocol handler.
 */
package org.mailhygiene.testkit.server;
