// Per-scanner cost probe (session 42, hmime): thread CPU time and allocation per message of each embedded scanner
// of `hygiene scan --builtin`; see benchmarks/README.md, session 42, "hmime", for its commands.
import java.nio.file.*;
import java.util.*;
import java.lang.management.*;
import org.mailhygiene.api.*;
import org.mailhygiene.api.Scanner;
import org.mailhygiene.cli.BuiltinScannerOption;
import java.net.InetAddress;
import java.time.Instant;

/** Per scanner: thread CPU time per message, median and min over -Dreps after -Dwarm warm-ups. */
public class Bench {
  public static void main(String[] a) throws Exception {
    List<Scanner> scanners = new ArrayList<>(new BuiltinScannerOption().createAll(List.of(Optional.empty())));
    int reps = Integer.getInteger("reps", 7), warm = Integer.getInteger("warm", 3);
    ThreadMXBean tm = ManagementFactory.getThreadMXBean();
    com.sun.management.ThreadMXBean ctm = (com.sun.management.ThreadMXBean) tm;
    for (String f : a) {
      byte[] b = Files.readAllBytes(Path.of(f));
      Envelope env = new Envelope(Optional.of(InetAddress.getByName("192.0.2.1")), Optional.of("helo.example"), "a@example.com", List.of("r@example.org"), Instant.now());
      Message m = new Message(env, MessageContent.ofBytes(b));
      long[] tot = new long[reps];
      StringBuilder sb = new StringBuilder(String.format("%s %d bytes%n", f, b.length));
      for (Scanner s : scanners) { if (System.getProperty("only") != null && !s.name().equals(System.getProperty("only"))) continue;
        long[] t = new long[reps]; long alloc = 0;
        for (int i = 0; i < warm + reps; i++) {
          long a0 = ctm.getCurrentThreadAllocatedBytes();
          long t0 = tm.getCurrentThreadCpuTime();
          try { s.scan(m); } catch (Exception e) { if (i == 0) System.out.println("  " + s.name() + " EXC " + e.getMessage()); }
          long d = tm.getCurrentThreadCpuTime() - t0;
          if (i >= warm) { t[i - warm] = d; tot[i - warm] += d; alloc = ctm.getCurrentThreadAllocatedBytes() - a0; }
        }
        if (Boolean.getBoolean("all")) System.out.println("    " + s.name() + " " + Arrays.toString(Arrays.stream(t).map(x -> x / 100000).toArray()));
        Arrays.sort(t);
        sb.append(String.format("  %-14s median %8.2f ms  min %8.2f  max %8.2f  alloc %6d KB%n", s.name(), t[reps/2]/1e6, t[0]/1e6, t[reps-1]/1e6, alloc/1024));
      }
      Arrays.sort(tot);
      sb.append(String.format("  %-14s median %8.2f ms  min %8.2f  max %8.2f%n", "TOTAL", tot[reps/2]/1e6, tot[0]/1e6, tot[reps-1]/1e6));
      System.out.print(sb);
    }
  }
}
