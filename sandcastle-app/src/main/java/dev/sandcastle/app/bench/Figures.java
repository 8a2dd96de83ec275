package dev.sandcastle.app.bench;

import java.io.PrintWriter;
import java.util.Arrays;

/** What every benchmark prints the same way: percentiles of a run's samples, and the run itself. */
public final class Figures {
  private Figures() {}

  /** A benchmark's body; its failure is printed, not thrown. */
  public interface Body {
    void run(PrintWriter out) throws Exception;
  }

  /**
   * Runs a benchmark, printing to {@code out}; returns the process exit status (0, or 1 when it
   * failed). The servers it starts log warnings only, so the figures are not lost among request logs.
   */
  public static int run(PrintWriter out, Body body) {
    if (org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
    try {
      body.run(out);
      out.flush();
      return 0;
    } catch (Exception e) {
      out.println("benchmark failed: " + e);
      out.flush();
      return 1;
    }
  }

  /** The p-th percentile (nearest rank) of the samples; NaN for none. */
  public static double percentile(double[] values, double p) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  /** One line: what was measured, p50/p90/p99 in milliseconds, the count, and the target if any. */
  public static void report(PrintWriter out, String what, double[] millis, String target) {
    out.printf("  %-58s p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (n=%d)%s%n", what, percentile(millis, 50), percentile(millis, 90),
        percentile(millis, 99), millis.length, target.isEmpty() ? "" : "  " + target);
    out.flush();
  }
}
