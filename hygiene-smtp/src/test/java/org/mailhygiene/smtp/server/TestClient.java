package org.mailhygiene.smtp.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A raw SMTP client for protocol tests: sends exact bytes, reads whole (multi-line) replies. */
final class TestClient implements AutoCloseable {
    final Socket socket;
    private InputStream in;
    private OutputStream out;

    TestClient(int port) throws IOException {
        this(port, null);
    }

    /** Connects from {@code localAddress} (e.g. 127.0.0.2) when given. */
    TestClient(int port, InetAddress localAddress) throws IOException {
        socket = new Socket();
        if (localAddress != null) {
            socket.bind(new InetSocketAddress(localAddress, 0));
        }
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
        socket.setSoTimeout(10_000);
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Talks over {@code connected}, a socket the caller set up (small buffers, say) and connected. */
    TestClient(Socket connected) throws IOException {
        socket = connected;
        in = new BufferedInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    void useStreams(InputStream in, OutputStream out) {
        this.in = new BufferedInputStream(in);
        this.out = out;
    }

    /** Sends text as is (the caller writes the CRLFs). */
    TestClient send(String raw) throws IOException {
        return sendBytes(raw.getBytes(StandardCharsets.UTF_8));
    }

    TestClient sendBytes(byte[] raw) throws IOException {
        out.write(raw);
        out.flush();
        return this;
    }

    /** Sends one command line with CRLF and reads its reply. */
    String cmd(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    /** Reads one reply; multi-line replies are joined with '\n'. Returns "EOF" when the server closed. */
    String reply() throws IOException {
        List<String> lines = new ArrayList<>();
        for (; ; ) {
            String l = readLine();
            if (l == null) {
                return lines.isEmpty() ? "EOF" : String.join("\n", lines);
            }
            lines.add(l);
            if (l.length() < 4 || l.charAt(3) != '-') {
                return String.join("\n", lines);
            }
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                String s = b.toString(StandardCharsets.UTF_8);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
    }

    /** Greeting + EHLO. */
    TestClient hello() throws IOException {
        String g = reply();
        if (!g.startsWith("220")) {
            throw new IOException("greeting: " + g);
        }
        String e = cmd("EHLO client.example");
        if (!e.startsWith("250")) {
            throw new IOException("EHLO: " + e);
        }
        return this;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
