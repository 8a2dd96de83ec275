package dev.sandcastle.app;

import dev.sandcastle.app.image.ImageBuilder;
import java.io.PrintWriter;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
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
    if (args.length > 0 && SERVERS.contains(args[0])) {
      Optional<Map<Setting, String>> plain = plainSettings(args);
      if (plain.isPresent()) {
        return serve(args[0], plain.get(), out, err);
      }
    }
    CommandSpec root = CommandSpec.create().name("sandcastle").mixinStandardHelpOptions(true).version("sandcastle 0.1.0");
    root.usageMessage().description("A self-hosted code-execution platform for AI chat.");
    // Only the subcommand that runs is built: each server command carries every setting as an
    // option, and building all of them took a workspace container's start-up ~0.2 s of CPU.
    Map<String, java.util.function.Supplier<CommandSpec>> commands = subcommands();
    if (args.length > 0 && commands.containsKey(args[0])) {
      root.addSubcommand(args[0], commands.get(args[0]).get());
    } else {
      commands.forEach((name, spec) -> root.addSubcommand(name, spec.get()));
    }
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
    if (SERVERS.contains(name)) {
      return serve(name, settings(sub), out, err);
    }
    try {
      return switch (name) {
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
        case "image" -> image(sub, err);
        case "docker" -> {
          if (!sub.matchedPositionalValue(0, "").equals("prune")) {
            err.println("sandcastle docker: the only action is 'prune'");
            yield 2;
          }
          yield Orchestrator.pruneDocker(config(sub, 8080), sub.hasMatchedOption("--volumes"), out, err);
        }
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

  /** The subcommands, in the order of the usage message, each built on demand. */
  private static Map<String, java.util.function.Supplier<CommandSpec>> subcommands() {
    Map<String, java.util.function.Supplier<CommandSpec>> commands = new java.util.LinkedHashMap<>();
    commands.put("terminal", () -> server("The workspace API for one workspace (the Open Terminal role)."));
    commands.put("serve", () -> server("The multi-user server: one isolated workspace per user, provisioned on first use (port 8080)."));
    commands.put("operator", () -> server("The Kubernetes operator: reconciles Terminal resources (sandcastle.dev/v1alpha1) into workspace pods."));
    commands.put("bench", () -> {
      CommandSpec bench = CommandSpec.create().name("bench").mixinStandardHelpOptions(true);
      bench.usageMessage().description("Benchmarks that print their figures.");
      bench.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("WHAT").arity("0..1")
          .description("exec (default), kernel, terminal, orchestrator, interpreter or docker").type(String.class).build());
      bench.addOption(OptionSpec.builder("--duration").paramLabel("SECONDS").type(Integer.class).defaultValue("20")
          .description("Seconds of each concurrent load phase (default 20).").build());
      return bench;
    });
    commands.put("keys", () -> {
      CommandSpec keys = server("Manage the master key that encrypts workspace API keys at rest.");
      keys.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("ACTION").arity("1")
          .description("rotate: make a new master key active and re-encrypt every stored key (stop the server first)").type(String.class).build());
      return keys;
    });
    commands.put("pyodide", () -> {
      CommandSpec pyodide = server("Browser Python's package mirror (<data-dir>/pyodide).");
      pyodide.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("ACTION").arity("1")
          .description("import: fill the mirror offline from a downloaded Pyodide release of the bundled version").type(String.class).build());
      pyodide.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("DIR|TAR.BZ2").arity("1")
          .description("the release: its folder, or the pyodide-VERSION.tar.bz2 itself").type(String.class).build());
      return pyodide;
    });
    commands.put("image", Main::imageCommand);
    commands.put("docker", () -> {
      CommandSpec docker = server("Clean up after the docker backend (run it with the server stopped).");
      docker.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("ACTION").arity("1")
          .description("prune: stop and remove every container this server (its --data-dir) made, tenants' and warm spares',"
              + " and the networks no container uses any more; tenants' home volumes stay unless --volumes").type(String.class).build());
      docker.addOption(OptionSpec.builder("--volumes").arity("0").type(Boolean.class)
          .description("Also remove the tenants' home volumes (their files are gone for good).").build());
      return docker;
    });
    return commands;
  }

  private static CommandSpec imageCommand() {
    CommandSpec image = CommandSpec.create().mixinStandardHelpOptions(true);
    image.usageMessage().description("Builds the sandbox image of the docker backend offline (debootstrap, jlink, an AOT training run in bubblewrap, docker import); needs root and a Docker engine.");
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
    return Config.load(settings(parsed), System.getenv(), defaultPort);
  }

  private static Map<Setting, String> settings(ParseResult parsed) {
    Map<Setting, String> commandLine = new EnumMap<>(Setting.class);
    for (Setting setting : Setting.values()) {
      if (parsed.hasMatchedOption("--" + setting.name)) {
        commandLine.put(setting, parsed.matchedOptionValue("--" + setting.name, ""));
      }
    }
    return commandLine;
  }

  /** The commands that run a server from the settings alone. */
  private static final java.util.Set<String> SERVERS = java.util.Set.of("terminal", "serve", "operator");

  private static int serve(String name, Map<Setting, String> commandLine, PrintWriter out, PrintWriter err) {
    try {
      return switch (name) {
        case "serve" -> Orchestrator.run(Config.load(commandLine, System.getenv(), 8080), out, err, false);
        case "operator" -> Operator.run(Config.load(commandLine, System.getenv(), 8080), out, err);
        default -> {
          Config config = Config.load(commandLine, System.getenv(), 8000);
          yield config.orchestration().multiUser() ? Orchestrator.run(config, out, err, true) : Server.run(config, out, err);
        }
      };
    } catch (Config.Invalid e) {
      err.println("sandcastle: configuration error: " + e.getMessage());
      return 2;
    }
  }

  /**
   * A server command's settings when its arguments are nothing but {@code --name value} or
   * {@code --name=value} of known settings, each at most once (how images and manifests start
   * it); empty otherwise, and picocli parses, answering help and explaining mistakes. Building
   * picocli's model of every option costs a container's start-up about 0.1 s of CPU.
   */
  static Optional<Map<Setting, String>> plainSettings(String[] args) {
    Map<String, Setting> byName = new java.util.HashMap<>();
    for (Setting setting : Setting.values()) {
      byName.put("--" + setting.name, setting);
    }
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    for (int i = 1; i < args.length; i++) {
      String arg = args[i];
      int equals = arg.indexOf('=');
      Setting setting = byName.get(equals < 0 ? arg : arg.substring(0, equals));
      String value;
      if (setting == null) {
        return Optional.empty();
      } else if (equals >= 0) {
        value = arg.substring(equals + 1);
      } else if (i + 1 < args.length && !byName.containsKey(args[i + 1])) {
        value = args[++i];
      } else {
        return Optional.empty();
      }
      if (settings.put(setting, value) != null) {
        return Optional.empty();
      }
    }
    return Optional.of(settings);
  }
}
