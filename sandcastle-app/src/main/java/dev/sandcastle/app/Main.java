package dev.sandcastle.app;

import dev.sandcastle.app.image.ImageBuilder;
import java.io.PrintWriter;
import java.util.EnumMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The {@code sandcastle} command. Options come from the {@link Setting} table, so every server
 * command accepts the same flags; picocli is driven programmatically, without annotations.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandSpec root = CommandSpec.create().name("sandcastle").mixinStandardHelpOptions(true).version("sandcastle 0.1.0");
    root.usageMessage().description("A self-hosted code-execution platform for AI chat.");
    root.addSubcommand("terminal", server("The workspace API for one workspace (the Open Terminal role)."));
    root.addSubcommand("serve", server("The multi-user server: one isolated workspace per user, provisioned on first use (port 8080)."));
    root.addSubcommand("operator", server("The Kubernetes operator: reconciles Terminal resources (sandcastle.dev/v1alpha1) into workspace pods."));
    CommandSpec bench = CommandSpec.create().name("bench").mixinStandardHelpOptions(true);
    bench.usageMessage().description("Benchmarks that print their figures.");
    bench.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("WHAT").arity("0..1")
        .description("exec (default), kernel, terminal, orchestrator, interpreter or docker").type(String.class).build());
    bench.addOption(OptionSpec.builder("--duration").paramLabel("SECONDS").type(Integer.class).defaultValue("20")
        .description("Seconds of each concurrent load phase (default 20).").build());
    root.addSubcommand("bench", bench);
    CommandSpec keys = server("Manage the master key that encrypts workspace API keys at rest.");
    keys.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("ACTION").arity("1")
        .description("rotate: make a new master key active and re-encrypt every stored key (stop the server first)").type(String.class).build());
    root.addSubcommand("keys", keys);
    CommandSpec pyodide = server("Browser Python's package mirror (<data-dir>/pyodide).");
    pyodide.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("ACTION").arity("1")
        .description("import: fill the mirror offline from a downloaded Pyodide release of the bundled version").type(String.class).build());
    pyodide.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("DIR|TAR.BZ2").arity("1")
        .description("the release: its folder, or the pyodide-VERSION.tar.bz2 itself").type(String.class).build());
    root.addSubcommand("pyodide", pyodide);
    root.addSubcommand("image", imageCommand());

    CommandLine cli = new CommandLine(root).setOut(out).setErr(err);
    ParseResult parsed;
    try {
      parsed = cli.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      err.println("sandcastle: " + e.getMessage());
      err.println("Try 'sandcastle --help'.");
      return 2;
    }
    if (CommandLine.printHelpIfRequested(parsed)) {
      return 0;
    }
    if (!parsed.hasSubcommand()) {
      cli.usage(out);
      return 2;
    }
    ParseResult sub = parsed.subcommand();
    String name = sub.commandSpec().name();
    try {
      return switch (name) {
        case "serve" -> Orchestrator.run(config(sub, 8080), out, err, false);
        case "operator" -> Operator.run(config(sub, 8080), out, err);
        case "keys" -> {
          if (!sub.matchedPositionalValue(0, "").equals("rotate")) {
            err.println("sandcastle keys: the only action is 'rotate'");
            yield 2;
          }
          yield Orchestrator.rotateKeys(config(sub, 8080), out);
        }
        case "pyodide" -> {
          if (!sub.matchedPositionalValue(0, "").equals("import")) {
            err.println("sandcastle pyodide: the only action is 'import'");
            yield 2;
          }
          yield Pyodide.importRelease(config(sub, 8080), java.nio.file.Path.of(sub.<String>matchedPositionalValue(1, "")), out, err);
        }
        case "terminal" -> {
          Config config = config(sub, 8000);
          yield config.orchestration().multiUser() ? Orchestrator.run(config, out, err, true) : Server.run(config, out, err);
        }
        case "image" -> image(sub, err);
        case "bench" -> sub.matchedPositionalValue(0, "exec").equals("orchestrator") ? OrchestratorBenchmark.run(out)
            : sub.matchedPositionalValue(0, "exec").equals("docker") ? DockerBenchmark.run(out)
            : sub.matchedPositionalValue(0, "exec").equals("interpreter") ? dev.sandcastle.app.bench.InterpreterBenchmark.run(out)
            : dev.sandcastle.app.bench.ExecBenchmark.run(sub.matchedPositionalValue(0, "exec"), sub.matchedOptionValue("--duration", 20), out);
        default -> 2;
      };
    } catch (Config.Invalid e) {
      err.println("sandcastle: configuration error: " + e.getMessage());
      return 2;
    }
  }

  private static CommandSpec imageCommand() {
    CommandSpec image = CommandSpec.create().mixinStandardHelpOptions(true);
    image.usageMessage().description("Builds the sandbox image of the docker backend offline (debootstrap, jlink, docker import); needs root and a Docker engine.");
    image.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("ACTION").arity("1")
        .description("build").type(String.class).build());
    image.addOption(OptionSpec.builder("--tag").paramLabel("NAME").type(String.class).defaultValue(ImageBuilder.DEFAULT_TAG)
        .description("The image's name (default " + ImageBuilder.DEFAULT_TAG + ").").build());
    image.addOption(OptionSpec.builder("--output").paramLabel("FILE").type(String.class)
        .description("Also write the image as a tar for docker load (or a registry push).").build());
    image.addOption(OptionSpec.builder("--cache-dir").paramLabel("DIR").type(String.class)
        .description("Where the root file system and runtime are kept between builds (default /var/cache/sandcastle/image).").build());
    image.addOption(OptionSpec.builder("--jar").paramLabel("FILE").type(String.class)
        .description("The Sandcastle jar to put in the image (default: this one).").build());
    image.addOption(OptionSpec.builder("--jdk").paramLabel("DIR").type(String.class)
        .description("The JDK whose jlink makes the runtime (default: this Java's home).").build());
    image.addOption(OptionSpec.builder("--suite").paramLabel("NAME").type(String.class).defaultValue("bookworm")
        .description("The Debian release (default bookworm).").build());
    image.addOption(OptionSpec.builder("--mirror").paramLabel("URL").type(String.class)
        .description("The Debian mirror (default: this machine's, from /etc/apt/sources.list*).").build());
    return image;
  }

  private static int image(ParseResult sub, PrintWriter err) {
    if (!sub.matchedPositionalValue(0, "").equals("build")) {
      err.println("sandcastle image: the only action is 'build'");
      return 2;
    }
    java.nio.file.Path jar = sub.hasMatchedOption("--jar") ? java.nio.file.Path.of(sub.<String>matchedOptionValue("--jar", ""))
        : ownJar();
    java.nio.file.Path jdk = java.nio.file.Path.of(sub.matchedOptionValue("--jdk", System.getProperty("java.home")));
    try {
      ImageBuilder.Options options = new ImageBuilder.Options(sub.matchedOptionValue("--tag", ImageBuilder.DEFAULT_TAG),
          java.nio.file.Path.of(sub.matchedOptionValue("--cache-dir", "/var/cache/sandcastle/image")), jar.toAbsolutePath(), jdk,
          java.util.Optional.ofNullable(sub.<String>matchedOptionValue("--output", null)).map(java.nio.file.Path::of),
          sub.matchedOptionValue("--suite", "bookworm"), sub.matchedOptionValue("--mirror", ImageBuilder.machineMirror()));
      new ImageBuilder(options, err).build();
      return 0;
    } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
      err.println("sandcastle image: " + e.getMessage());
      return 1;
    }
  }

  /** The jar this program runs from, or the build's jar when it runs from classes. */
  private static java.nio.file.Path ownJar() {
    try {
      java.nio.file.Path self = java.nio.file.Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (self.toString().endsWith(".jar")) {
        return self;
      }
    } catch (java.net.URISyntaxException | RuntimeException e) {
      // fall through
    }
    return java.nio.file.Path.of("sandcastle-app/target/sandcastle.jar");
  }

  private static CommandSpec server(String description) {
    CommandSpec spec = CommandSpec.create().mixinStandardHelpOptions(true);
    spec.usageMessage().description(description);
    for (Setting setting : Setting.values()) {
      String env = String.join(", ", setting.env);
      String fallback = setting.fallback.isBlank() ? "" : " Default: " + setting.fallback + ".";
      spec.addOption(OptionSpec.builder("--" + setting.name).paramLabel("VALUE").type(String.class)
          .description(setting.help + fallback + " Env: " + env + ".").build());
    }
    return spec;
  }

  private static Config config(ParseResult parsed, int defaultPort) {
    Map<Setting, String> commandLine = new EnumMap<>(Setting.class);
    for (Setting setting : Setting.values()) {
      if (parsed.hasMatchedOption("--" + setting.name)) {
        commandLine.put(setting, parsed.matchedOptionValue("--" + setting.name, ""));
      }
    }
    return Config.load(commandLine, System.getenv(), defaultPort);
  }
}
