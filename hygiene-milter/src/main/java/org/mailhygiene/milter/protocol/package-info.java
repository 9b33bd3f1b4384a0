/**
 * The Sendmail milter wire protocol as Postfix ({@code src/milter/milter8.c}) and Sendmail's libmilter speak it:
 * packets ({@link org.mailhygiene.milter.protocol.MilterPacket}), their framing with strict length limits
 * ({@link org.mailhygiene.milter.protocol.MilterCodec}), the command, reply, action and protocol-flag codes
 * ({@link org.mailhygiene.milter.protocol.MilterProtocol}) and option negotiation
 * ({@link org.mailhygiene.milter.protocol.OptionNegotiation}).
 */
package org.mailhygiene.milter.protocol;
