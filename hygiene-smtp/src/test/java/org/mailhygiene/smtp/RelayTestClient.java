package org.mailhygiene.smtp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** A minimal SMTP client for relay tests: one transaction per connection, dot-stuffing done here. */
final class RelayTestClient implements AutoCloseable {
    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    RelayTestClient(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        socket.setSoTimeout(60_000);
        socket.setTcpNoDelay(true);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        out = socket.getOutputStream();
    }

    private String reply() throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed");
            }
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    private String cmd(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return reply();
    }

    /** Runs a transaction; returns the reply to the final dot, or the first failing reply. */
    String send(String from, List<String> to, byte[] message) throws IOException {
        return send(from, "", to, "", message);
    }

    /** As {@link #send(String, List, byte[])}, with ESMTP parameters after MAIL's and every RCPT's path. */
    String send(String from, String mailParams, List<String> to, String rcptParams, byte[] message) throws IOException {
        String r = reply();
        if (!r.startsWith("220")) {
            return r;
        }
        if (!(r = cmd("EHLO client.example")).startsWith("250")) {
            return r;
        }
        if (!(r = cmd("MAIL FROM:<" + from + ">" + (mailParams.isEmpty() ? "" : " " + mailParams))).startsWith("250")) {
            return r;
        }
        for (String t : to) {
            if (!(r = cmd("RCPT TO:<" + t + ">" + (rcptParams.isEmpty() ? "" : " " + rcptParams))).startsWith("250")) {
                return r;
            }
        }
        if (!(r = cmd("DATA")).startsWith("354")) {
            return r;
        }
        String text = new String(message, StandardCharsets.ISO_8859_1);
        if (!text.endsWith("\r\n")) {
            text += "\r\n";
        }
        text = (text.startsWith(".") ? "." : "") + text.replace("\r\n.", "\r\n..");
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        r = reply();
        try {
            cmd("QUIT");
        } catch (IOException ignored) {
            // the reply that matters was read
        }
        return r;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
