package dev.sandcastle.core.workspace;

import dev.sandcastle.core.sandbox.SandboxPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The text a model reads to learn where its commands run: system, shell, user, home, tools at
 * hand, limits and network. Facts are read from the host once per call (cheap: a few stats).
 */
public final class SystemPrompt {
  private static final List<String> TOOLS = List.of(
      "python3", "pip3", "git", "curl", "wget", "jq", "sqlite3", "gcc", "make", "node", "npm", "java",
      "rg", "grep", "sed", "awk", "tar", "zip", "unzip", "vim", "nano", "less", "htop", "ps");
  private static final List<String> PYTHON_PACKAGES = List.of("numpy", "pandas", "matplotlib", "scipy", "IPython", "requests");

  private SystemPrompt() {}

  public static String of(Workspace workspace) {
    String template = """
        You have a Linux workspace of your own: {{os}}, shell {{shell}}, user {{user}}, home {{home}}.
        Run commands with run_command; they run in the background and return an id, so use wait to block for short ones and get_process_status to follow long ones. Commands share one machine: files in the home directory persist, /tmp is shared between commands, background jobs keep running.
        Read and change files with the file tools; paths are relative to the current directory ({{home}} unless changed).
        Tools available: {{tools}}.
        Python packages available: {{python_packages}}.
        Limits: {{limits}}.
        Network: {{network}}.
        """;
    SandboxPolicy policy = workspace.policy();
    String network = policy.network() == SandboxPolicy.Network.NONE
        ? "none (no internet; pip install and downloads will fail; work with what is installed)"
        : "available";
    return template
        .replace("{{os}}", osName())
        .replace("{{shell}}", workspace.shell())
        .replace("{{user}}", "user")
        .replace("{{home}}", workspace.home())
        .replace("{{tools}}", String.join(", ", present(TOOLS)))
        .replace("{{python_packages}}", String.join(", ", pythonPackages()))
        .replace("{{limits}}", workspace.limitsDescription())
        .replace("{{network}}", network)
        .strip();
  }

  static String osName() {
    try {
      return Files.readAllLines(Path.of("/etc/os-release")).stream()
          .filter(line -> line.startsWith("PRETTY_NAME="))
          .map(line -> line.substring("PRETTY_NAME=".length()).replace("\"", ""))
          .findFirst()
          .orElse("Linux");
    } catch (IOException e) {
      return "Linux";
    }
  }

  private static List<String> present(List<String> tools) {
    List<String> found = new ArrayList<>();
    for (String tool : tools) {
      if (Files.isExecutable(Path.of("/usr/bin", tool)) || Files.isExecutable(Path.of("/bin", tool))
          || Files.isExecutable(Path.of("/usr/local/bin", tool))) {
        found.add(tool);
      }
    }
    return found;
  }

  private static List<String> pythonPackages() {
    List<String> found = new ArrayList<>();
    Optional<Path> dist = Optional.of(Path.of("/usr/lib/python3/dist-packages")).filter(Files::isDirectory);
    for (String name : PYTHON_PACKAGES) {
      if (dist.isPresent() && Files.isDirectory(dist.get().resolve(name))) {
        found.add(name);
      }
    }
    return found.isEmpty() ? List.of("standard library only") : found;
  }
}
