/**
 * Parser scaling probe (session 38): scans each message file given with every embedded scanner of {@code hygiene scan
 * --builtin} and the {@code auth} scanner (DNS from a map: -Ddns=FILE of "name text" lines, TXT only; empty answers
 * otherwise), -Dreps times each (default 2), and prints the best time and the verdict per scanner. -Donly=NAME keeps the
 * scanners whose name holds NAME.
 */
import java.nio.file.*;
import java.util.*;
import org.mailhygiene.api.Scanner;
import java.net.InetAddress;
import java.time.*;
import org.mailhygiene.api.*;
import org.mailhygiene.cli.BuiltinScannerOption;
import org.mailhygiene.scanners.auth.AuthScanner;
import org.mailhygiene.scanners.auth.dns.*;

public class Harness {
  public static void main(String[] a) throws Exception {
    Map<String, List<String>> txt = new HashMap<>();
    String dnsFile = System.getProperty("dns");
    if (dnsFile != null) for (String l : Files.readAllLines(Path.of(dnsFile))) {
      int sp = l.indexOf(' '); txt.computeIfAbsent(l.substring(0, sp).toLowerCase(), k -> new ArrayList<>()).add(l.substring(sp + 1));
    }
    DnsResolver dns = (name, type) -> {
      String n = name.toLowerCase(); if (n.endsWith(".")) n = n.substring(0, n.length()-1);
      if (type == DnsType.TXT && txt.containsKey(n)) {
        List<DnsRecord> r = new ArrayList<>();
        for (String t : txt.get(n)) r.add(new DnsRecord(name, DnsType.TXT, Duration.ofSeconds(60), t, Optional.empty(), 0));
        return DnsResult.ok(r);
      }
      return DnsResult.ok(List.of());
    };
    List<Scanner> scanners = new ArrayList<>(new BuiltinScannerOption().createAll(List.of(Optional.empty())));
    scanners.add(AuthScanner.builder().dns(dns).build());
    int reps = Integer.getInteger("reps", 2);
    String only = System.getProperty("only");
    for (String f : a) {
      byte[] b = Files.readAllBytes(Path.of(f));
      Envelope env = new Envelope(Optional.of(InetAddress.getByName("192.0.2.1")), Optional.of("helo.example"), "a@spf.example", List.of("r@example.org"), Instant.now());
      Message m = new Message(env, MessageContent.ofBytes(b));
      StringBuilder sb = new StringBuilder(String.format("%-40s %9d", Path.of(f).getFileName(), b.length));
      for (Scanner s : scanners) {
        if (only != null && !s.name().contains(only)) continue;
        long best = Long.MAX_VALUE; String v = "";
        for (int i = 0; i < reps; i++) {
          long t0 = System.nanoTime();
          try { Verdict vd = s.scan(m); v = vd.toString(); } catch (Throwable e) { v = "EXC " + e; }
          best = Math.min(best, System.nanoTime() - t0);
        }
        if (v.length() > 140) v = v.substring(0, 140);
        sb.append(String.format("\n   %-12s %8.1f ms  %s", s.name(), best / 1e6, v.replace('\n',' ')));
      }
      System.out.println(sb);
    }
  }
}
