package org.mailhygiene.milter;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.mailhygiene.milter.protocol.MilterCodec;
import org.mailhygiene.milter.protocol.MilterPacket;
import org.mailhygiene.milter.protocol.MilterProtocol;
import org.mailhygiene.milter.protocol.OptionNegotiation;

/**
 * A milter connection checker between an MTA and a milter on loopback: it passes every packet on unchanged and checks
 * the milter's side against the request/reply discipline the MTA reads by. A command waits for exactly one final reply
 * ({@code c a r t d y s}, and {@code O} for option negotiation) unless it never has one ({@code D A Q K}) or the
 * negotiated protocol says {@code SMFIP_NR_*} for it; modification packets and {@code p} (progress) are read only while
 * the end of message waits for its reply. A packet outside that is one the MTA does not read when it comes (it would
 * read it later as the answer to another command), and is recorded in {@link #violations()}. Test support.
 */
final class MilterTap implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress milter;
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final List<String> traffic = Collections.synchronizedList(new ArrayList<>());
    private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());

    MilterTap(InetSocketAddress milter) throws IOException {
        this.milter = milter;
        server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "milter-tap");
        t.setDaemon(true);
        t.start();
    }

    /** The MTA's side, {@code inet:127.0.0.1:PORT}. */
    String socketSpec() {
        return "inet:127.0.0.1:" + server.getLocalPort();
    }

    /** What the milter sent that the MTA was not waiting for, with where it came. */
    List<String> violations() {
        synchronized (violations) {
            return List.copyOf(violations);
        }
    }

    /** Every packet code in order, {@code >X} from the MTA and {@code <x} from the milter (for failure messages). */
    String traffic() {
        synchronized (traffic) {
            return String.join(" ", traffic);
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket mta = server.accept();
                Socket m = new Socket();
                m.connect(milter, 10_000);
                open.add(mta);
                open.add(m);
                Connection c = new Connection();
                start(() -> c.fromMta(mta, m));
                start(() -> c.fromMilter(m, mta));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void start(Runnable r) {
        Thread t = new Thread(r, "milter-tap-pump");
        t.setDaemon(true);
        t.start();
    }

    /** One MTA connection's state: the command waiting for its reply, and the negotiated protocol flags. */
    private final class Connection {
        private byte waiting; // 0: none
        private int protocol;

        void fromMta(Socket mta, Socket m) {
            try (InputStream in = new BufferedInputStream(mta.getInputStream())) {
                OutputStream out = m.getOutputStream();
                MilterPacket p;
                while ((p = MilterCodec.read(in, 64 << 20)) != null) {
                    synchronized (this) {
                        traffic.add(">" + (char) p.code());
                        if (needsReply(p.code())) {
                            if (waiting != 0) {
                                violations.add("MTA sent " + (char) p.code() + " while " + (char) waiting
                                        + " still waited for its reply");
                            }
                            waiting = p.code(); // before the milter can see it, so its reply cannot come first
                        }
                    }
                    MilterCodec.write(out, p);
                    out.flush();
                }
            } catch (IOException e) {
                // a side closed
            } finally {
                closeBoth(mta, m);
            }
        }

        void fromMilter(Socket m, Socket mta) {
            try (InputStream in = new BufferedInputStream(m.getInputStream())) {
                OutputStream out = mta.getOutputStream();
                MilterPacket p;
                while ((p = MilterCodec.read(in, 64 << 20)) != null) {
                    synchronized (this) {
                        traffic.add("<" + (char) p.code());
                        check(p);
                    }
                    MilterCodec.write(out, p);
                    out.flush();
                }
            } catch (IOException e) {
                // a side closed
            } finally {
                closeBoth(mta, m);
            }
        }

        private boolean needsReply(byte code) {
            switch (code) {
                case MilterProtocol.SMFIC_MACRO,
                        MilterProtocol.SMFIC_ABORT,
                        MilterProtocol.SMFIC_QUIT,
                        MilterProtocol.SMFIC_QUIT_NC -> {
                    return false;
                }
                case MilterProtocol.SMFIC_OPTNEG, MilterProtocol.SMFIC_BODYEOB -> {
                    return true;
                }
                default -> {
                    int flag = MilterProtocol.noReplyFlag(code);
                    return flag == 0 || (protocol & flag) == 0;
                }
            }
        }

        private void check(MilterPacket p) {
            byte c = p.code();
            switch (c) {
                case MilterProtocol.SMFIR_OPTNEG -> {
                    try {
                        protocol = OptionNegotiation.decode(p).protocol();
                    } catch (IOException e) {
                        violations.add("undecodable option negotiation: " + e.getMessage());
                    }
                    answered(c);
                }
                case MilterProtocol.SMFIR_CONTINUE,
                        MilterProtocol.SMFIR_ACCEPT,
                        MilterProtocol.SMFIR_REJECT,
                        MilterProtocol.SMFIR_TEMPFAIL,
                        MilterProtocol.SMFIR_DISCARD,
                        MilterProtocol.SMFIR_REPLYCODE,
                        MilterProtocol.SMFIR_SKIP -> answered(c);
                default -> {
                    if (waiting != MilterProtocol.SMFIC_BODYEOB) {
                        violations.add("milter sent " + (char) c + " while "
                                + (waiting == 0 ? "nothing" : String.valueOf((char) waiting))
                                + " waited for a reply (after: " + tail() + ")");
                    }
                }
            }
        }

        private void answered(byte c) {
            if (waiting == 0) {
                violations.add(
                        "milter sent " + (char) c + " with no command waiting for a reply (after: " + tail() + ")");
            }
            waiting = 0;
        }

        private String tail() {
            synchronized (traffic) {
                return String.join(" ", traffic.subList(Math.max(0, traffic.size() - 12), traffic.size()));
            }
        }

        private void closeBoth(Socket a, Socket b) {
            try {
                a.close();
            } catch (IOException ignored) {
                // closing
            }
            try {
                b.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (open) {
            for (Socket s : open) {
                s.close();
            }
        }
    }
}
