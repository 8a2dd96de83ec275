package dev.sandcastle.app;

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
        .description("exec (default), kernel, terminal, orchestrator or interpreter").type(String.class).build());
    bench.addOption(OptionSpec.builder("--duration").paramLabel("SECONDS").type(Integer.class).defaultValue("20")
        .description("Seconds of each concurrent load phase (default 20).").build());
    root.addSubcommand("bench", bench);
    CommandSpec keys = server("Manage the master key that encrypts workspace API keys at rest.");
    keys.addPositional(CommandLine.Model.PositionalParamSpec.builder().paramLabel("ACTION").arity("1")
        .description("rotate: make a new master key active and re-encrypt every stored key (stop the server first)").type(String.class).build());
    root.addSubcommand("keys", keys);

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
        case "terminal" -> {
          Config config = config(sub, 8000);
          yield config.orchestration().multiUser() ? Orchestrator.run(config, out, err, true) : Server.run(config, out, err);
        }
        case "bench" -> sub.matchedPositionalValue(0, "exec").equals("orchestrator") ? OrchestratorBenchmark.run(out)
            : sub.matchedPositionalValue(0, "exec").equals("interpreter") ? dev.sandcastle.app.bench.InterpreterBenchmark.run(out)
            : dev.sandcastle.app.bench.ExecBenchmark.run(sub.matchedPositionalValue(0, "exec"), sub.matchedOptionValue("--duration", 20), out);
        default -> 2;
      };
    } catch (Config.Invalid e) {
      err.println("sandcastle: configuration error: " + e.getMessage());
      return 2;
    }
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
