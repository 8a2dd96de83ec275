package dev.sandcastle.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The log's set-up, in code: one line per event on stderr ({@code 12:34:56.789 INFO  Name -
 * message}, then any stack trace), the root at {@code SANDCASTLE_LOG_LEVEL} (default INFO), and
 * the libraries that narrate their start-up (Jetty, Javalin, H2, Flyway, Hikari) at WARN. Found by
 * logback through {@code META-INF/services}. Written out here rather than in a {@code logback.xml}
 * because reading that XML (a SAX parser, logback's configuration model, the pattern compiler) cost
 * every start about a third of a second of CPU before the AOT cache, and still tens of
 * milliseconds with it: a workspace container pays that on the way to its tenant's first command.
 * A {@code -Dlogback.configurationFile} still wins over this.
 */
public final class Logging extends ContextAwareBase implements Configurator {
  private static final List<String> QUIET = List.of("org.eclipse.jetty", "io.javalin", "h2database", "org.flywaydb", "com.zaxxer.hikari");

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    Line layout = new Line();
    layout.setContext(context);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(System.getenv().getOrDefault("SANDCASTLE_LOG_LEVEL", "INFO"), Level.INFO));
    root.addAppender(stderr);
    QUIET.forEach(name -> context.getLogger(name).setLevel(Level.WARN));
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** {@code HH:mm:ss.SSS LEVEL Logger - message}, the logger by its simple name, then the stack trace if any. */
  static final class Line extends LayoutBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

    @Override
    public String doLayout(ILoggingEvent event) {
      String logger = event.getLoggerName();
      StringBuilder line = new StringBuilder(128).append(TIME.format(event.getInstant())).append(' ');
      String level = event.getLevel().toString();
      line.append(level).append(" ".repeat(Math.max(1, 6 - level.length())));
      line.append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(" - ").append(event.getFormattedMessage())
          .append(CoreConstants.LINE_SEPARATOR);
      if (event.getThrowableProxy() != null) {
        line.append(ThrowableProxyUtil.asString(event.getThrowableProxy())).append(CoreConstants.LINE_SEPARATOR);
      }
      return line.toString();
    }
  }
}
