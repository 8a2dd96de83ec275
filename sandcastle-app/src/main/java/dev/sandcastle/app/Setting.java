package dev.sandcastle.app;

import java.util.List;

/**
 * Every configuration option, in one table: its command-line name, the environment variables
 * that set it (ours first, then the upstream names we stand in for), its default and its help
 * text. The command line, the environment, the config file and the README's reference all come
 * from here.
 */
enum Setting {
  CONFIG("config", "", "A properties file with any of these options (name=value); command line and environment override it.", "SANDCASTLE_CONFIG"),
  HOST("host", "127.0.0.1", "Address to listen on; 0.0.0.0 to accept connections from other machines or containers.", "SANDCASTLE_HOST"),
  PORT("port", "", "Port to listen on (default 8000 for terminal, 8080 for serve; 0 picks a free port).", "SANDCASTLE_PORT"),
  DATA_DIR("data-dir", "./data", "Directory for workspaces, logs, keys and runtime files.", "SANDCASTLE_DATA_DIR"),
  WORKSPACE("workspace", "", "Home directory of the workspace (default: <data-dir>/workspaces/default/home).", "SANDCASTLE_WORKSPACE"),
  API_KEY("api-key", "", "Bearer key clients must send. Prefer the _FILE variant or the environment: command lines are visible to other local users.", "SANDCASTLE_API_KEY", "OPEN_TERMINAL_API_KEY"),
  API_KEY_FILE("api-key-file", "", "File holding the API key (first line).", "SANDCASTLE_API_KEY_FILE", "OPEN_TERMINAL_API_KEY_FILE"),
  GENERATE_API_KEY("generate-api-key", "true", "With no key configured: generate one, store it in <data-dir>/api-key (mode 0600) and print it once. false: refuse to start.", "SANDCASTLE_GENERATE_API_KEY"),
  SANDBOX("sandbox", "bwrap", "How commands are confined: bwrap (bubblewrap namespaces) or none (already inside a container).", "SANDCASTLE_SANDBOX"),
  NETWORK("network", "none", "Network access of the workspace: none or host.", "SANDCASTLE_NETWORK"),
  MEMORY("memory", "2g", "Memory limit of the workspace (all its processes together), e.g. 512m, 2g; 0 for none.", "SANDCASTLE_MEMORY"),
  PIDS("pids", "512", "Maximum number of processes and threads in the workspace; 0 for none.", "SANDCASTLE_PIDS"),
  CPUS("cpus", "0", "CPU limit in cores, e.g. 1.5; 0 for none.", "SANDCASTLE_CPUS"),
  UID("uid", "100000", "Unprivileged uid (and gid) the workspace runs as when the server runs as root.", "SANDCASTLE_UID"),
  COMMAND_TIMEOUT("command-timeout", "0", "Default wall-clock limit of a command in seconds (0: none); a request's timeout overrides it.", "SANDCASTLE_COMMAND_TIMEOUT"),
  OUTPUT_MEMORY("output-memory", "1m", "Output of one command kept in memory; older output is dropped and reported as truncated.", "SANDCASTLE_OUTPUT_MEMORY"),
  OUTPUT_LOG("output-log", "16m", "Size of one command's log file before it rotates (one older part is kept).", "SANDCASTLE_OUTPUT_LOG"),
  RETENTION("retention", "3600", "Seconds a finished command and its log are kept.", "SANDCASTLE_RETENTION"),
  MAX_TERMINALS("max-terminals", "16", "Interactive terminals a workspace may have open at once; more are refused (429).", "SANDCASTLE_MAX_TERMINALS", "OPEN_TERMINAL_MAX_SESSIONS"),
  TERMINAL_GRACE("terminal-grace", "600", "Seconds a terminal with no client attached waits for one to reconnect before it is closed.", "SANDCASTLE_TERMINAL_GRACE"),
  TERMINAL_SCROLLBACK("terminal-scrollback", "256k", "Recent output kept per terminal, replayed to a client that (re)attaches, e.g. 256k or 1m.", "SANDCASTLE_TERMINAL_SCROLLBACK"),
  MAX_REQUEST("max-request", "64m", "Largest JSON request body.", "SANDCASTLE_MAX_REQUEST"),
  MAX_UPLOAD("max-upload", "512m", "Largest uploaded file.", "SANDCASTLE_MAX_UPLOAD"),
  MAX_FILE_WRITE("max-file-write", "50m", "Largest file written through write_file and replace.", "SANDCASTLE_MAX_FILE_WRITE"),
  MAX_KERNELS("max-kernels", "8", "Python kernels alive at once in a workspace.", "SANDCASTLE_MAX_KERNELS"),
  KERNEL_IDLE_TIMEOUT("kernel-idle-timeout", "1800", "Seconds before an idle kernel is stopped (its variables are lost).", "SANDCASTLE_KERNEL_IDLE_TIMEOUT"),
  CELL_TIMEOUT("cell-timeout", "300", "Default wall-clock limit of one cell in seconds; the cell is interrupted, then its kernel killed.", "SANDCASTLE_CELL_TIMEOUT");

  final String name;
  final String fallback;
  final String help;
  final List<String> env;

  Setting(String name, String fallback, String help, String... env) {
    this.name = name;
    this.fallback = fallback;
    this.help = help;
    this.env = List.of(env);
  }
}
