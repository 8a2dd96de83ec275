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
  TRUSTED_PROXIES("trusted-proxies", "", "Reverse proxies in front of Sandcastle (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For names the client, so that the sign-in throttle and the audit log see clients rather than the proxy; the list is read from the right, skipping these proxies. List the proxies' own addresses, never a range that also holds workspaces (a Docker bridge, a pod CIDR; 127.0.0.1 with the local backend and policies with network): code there could name any address.", "SANDCASTLE_TRUSTED_PROXIES"),
  DATA_DIR("data-dir", "./data", "Directory for workspaces, logs, keys and runtime files.", "SANDCASTLE_DATA_DIR"),
  WORKSPACE("workspace", "", "Home directory of the workspace (default: <data-dir>/workspaces/default/home).", "SANDCASTLE_WORKSPACE"),
  API_KEY("api-key", "", "Bearer key clients must send; for serve, the admin key (admin API, and service calls with X-User-Id). Prefer the _FILE variant or the environment: command lines are visible to other local users.", "SANDCASTLE_API_KEY", "OPEN_TERMINAL_API_KEY", "SANDCASTLE_ADMIN_KEY", "TERMINALS_API_KEY"),
  API_KEY_FILE("api-key-file", "", "File holding the API key (first line).", "SANDCASTLE_API_KEY_FILE", "OPEN_TERMINAL_API_KEY_FILE"),
  GENERATE_API_KEY("generate-api-key", "true", "With no key configured: generate one and store it in <data-dir>/api-key (mode 0600), printing only that path (a log must never hold the key); show: print the key itself once as well; false: refuse to start.", "SANDCASTLE_GENERATE_API_KEY"),
  INFO("info", "", "Information about the environment for the model (the base system, tools, GPUs, conventions): served by GET /info (the get_info tool, offered only when set) and added to the system prompt, as Open Terminal does. With serve and a container backend, /info comes from the orchestrator and the system prompt from the workspace's server.", "SANDCASTLE_INFO", "OPEN_TERMINAL_INFO"),
  FILE_BROWSER_ROOT("file-browser-root", "home", "Where file browsers start (GET /files/cwd reports it as root, as Open Terminal does): home, filesystem (no root: they start at /, the sandbox's own root, read-only outside the home), or a path where {{home}} and ~ stand for the home. With serve and a container backend, the workspace's server decides (home).", "SANDCASTLE_FILE_BROWSER_ROOT", "OPEN_TERMINAL_FILE_BROWSER_ROOT"),
  SANDBOX("sandbox", "bwrap", "How commands are confined: bwrap (bubblewrap namespaces) or none (already inside a container).", "SANDCASTLE_SANDBOX"),
  NETWORK("network", "none", "Network access of the workspace: none or host.", "SANDCASTLE_NETWORK"),
  SANDBOX_PATHS("sandbox-paths", "", "Host paths shown read-only at the same place in every bubblewrap workspace (the default policy's; other policies name their own), comma-separated, e.g. /etc/pip.conf,/opt/models. A workspace sees only a few system files of /etc otherwise. Never list the data directory.", "SANDCASTLE_SANDBOX_PATHS"),
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
  BACKEND("backend", "local", "serve: where tenants' workspaces run: local (in this server, each in its own sandbox), docker (a container per tenant of --image, see sandcastle image build), static (one upstream server, see --static-url), kubernetes (a pod per tenant) or operator (a Terminal resource per tenant, made real by sandcastle operator).", "SANDCASTLE_BACKEND", "TERMINALS_BACKEND"),
  MULTI_USER("multi-user", "false", "terminal: one workspace per X-User-Id, each under its own Linux account created on first use (needs root).", "SANDCASTLE_MULTI_USER", "OPEN_TERMINAL_MULTI_USER"),
  MULTI_USER_HOMES("multi-user-homes", "/home", "terminal --multi-user: where the users' home directories are created.", "SANDCASTLE_MULTI_USER_HOMES"),
  DOCKER_HOST("docker-host", "unix:///var/run/docker.sock", "The docker backend's engine: unix:///path/to/docker.sock or tcp://host:port.", "SANDCASTLE_DOCKER_HOST", "DOCKER_HOST"),
  DOCKER_RUNTIME("docker-runtime", "", "The docker backend's OCI runtime for workspaces whose policy names none, e.g. runsc (gVisor); empty for the engine's default.", "SANDCASTLE_DOCKER_RUNTIME"),
  DOCKER_NETWORK("docker-network", "sandcastle", "The docker backend's internal network (no egress) for workspaces, created when missing; policies with network host join <name>-egress.", "SANDCASTLE_DOCKER_NETWORK"),
  STATIC_URL("static-url", "", "The static backend's upstream server, e.g. http://10.0.0.5:8000.", "SANDCASTLE_STATIC_URL"),
  STATIC_KEY("static-key", "", "The static backend's upstream API key.", "SANDCASTLE_STATIC_KEY"),
  IMAGE("image", "sandcastle/sandbox:latest", "Container backends and the operator: the workspace image when a policy names none (its entrypoint runs sandcastle terminal --sandbox none on port 8000).", "SANDCASTLE_IMAGE"),
  KUBERNETES_NAMESPACE("kubernetes-namespace", "", "kubernetes, operator: the namespace of workspaces and Terminals (default: the client's, i.e. the pod's own namespace in a cluster).", "SANDCASTLE_KUBERNETES_NAMESPACE"),
  KUBERNETES_RUNTIME_CLASS("kubernetes-runtime-class", "", "kubernetes, operator: the RuntimeClass of workspace pods whose policy names none, e.g. gvisor or kata (default: the cluster's).", "SANDCASTLE_KUBERNETES_RUNTIME_CLASS"),
  KUBERNETES_NODE_SELECTOR("kubernetes-node-selector", "", "kubernetes, operator: node labels workspace pods need, e.g. pool=sandboxes,zone=a.", "SANDCASTLE_KUBERNETES_NODE_SELECTOR"),
  KUBERNETES_TOLERATIONS("kubernetes-tolerations", "", "kubernetes, operator: taints workspace pods tolerate, as key[=value]:Effect separated by commas, e.g. sandbox=true:NoSchedule.", "SANDCASTLE_KUBERNETES_TOLERATIONS"),
  KUBERNETES_POD_TEMPLATE("kubernetes-pod-template", "", "kubernetes, operator: a YAML Pod merged under workspace pods (labels, affinity, pull secrets, sidecars); host namespaces, service accounts, security contexts and the workspace container's mounts stay ours; hostPath volumes and service account tokens are refused.", "SANDCASTLE_KUBERNETES_POD_TEMPLATE"),
  KUBERNETES_STORAGE_CLASS("kubernetes-storage-class", "", "kubernetes, operator: the StorageClass of home volumes (default: the cluster's).", "SANDCASTLE_KUBERNETES_STORAGE_CLASS"),
  KUBERNETES_READY_TIMEOUT("kubernetes-ready-timeout", "180", "kubernetes, operator: seconds a start waits for the workspace pod to be ready before it fails with 503.", "SANDCASTLE_KUBERNETES_READY_TIMEOUT"),
  DATABASE_URL("database-url", "", "Tenant state: a jdbc:postgresql: URL, or empty for the embedded H2 database under the data directory.", "SANDCASTLE_DATABASE_URL"),
  DATABASE_USER("database-user", "", "Database user.", "SANDCASTLE_DATABASE_USER"),
  DATABASE_PASSWORD("database-password", "", "Database password (prefer the environment).", "SANDCASTLE_DATABASE_PASSWORD"),
  WEBUI_SECRET_KEY("webui-secret-key", "", "Open WebUI's secret: user tokens (HS256) it signed are verified locally.", "WEBUI_SECRET_KEY"),
  JWKS_URL("jwks-url", "", "A JWKS URL: user tokens signed with RS256/ES256 by its keys are accepted (for any user they name: narrow it with --jwt-issuer and --jwt-audience).", "SANDCASTLE_JWKS_URL"),
  JWT_ALGORITHMS("jwt-algorithms", "HS256,RS256,ES256", "Signature algorithms user tokens may use ('none' is never accepted).", "SANDCASTLE_JWT_ALGORITHMS"),
  JWT_ISSUER("jwt-issuer", "", "Comma-separated issuers: a user token verified with the Open WebUI secret or the JWKS must have one of them as its iss (exact match); empty: any. Open WebUI's own tokens carry no iss.", "SANDCASTLE_JWT_ISSUER"),
  JWT_AUDIENCE("jwt-audience", "", "Comma-separated audiences: such a token's aud (a string or an array) must contain one of them; empty: any. Open WebUI's own tokens carry no aud.", "SANDCASTLE_JWT_AUDIENCE"),
  OPEN_WEBUI_URL("open-webui-url", "", "Open WebUI's URL, to check user tokens by calling back GET /api/v1/auths/ (cached 60 s) when no secret or JWKS is set.", "SANDCASTLE_OPEN_WEBUI_URL", "OPEN_WEBUI_URL"),
  SHARED_JUPYTER_USER("shared-jupyter-user", "shared-jupyter", "serve: the user whose workspace runs Jupyter API calls (kernels and their channels) made with the admin key and no user, as Open WebUI's Jupyter engine makes them; one workspace, sandboxed and limited like any user's, shared by everyone who holds the admin key. Empty: such calls are refused (400).", "SANDCASTLE_SHARED_JUPYTER_USER"),
  ALLOW_SIGNUP("allow-signup", "true", "serve: anyone may create a local account (POST /api/auth/signup); the first becomes admin. false: only the first account can be created.", "SANDCASTLE_ALLOW_SIGNUP"),
  IDLE_TIMEOUT("idle-timeout", "1800", "Seconds without a request after which a tenant's workspace is stopped (files stay); the default policy's value and every policy's maximum.", "SANDCASTLE_IDLE_TIMEOUT", "TERMINALS_IDLE_TIMEOUT"),
  WARM_POOL("warm-pool", "2", "serve: workspaces kept started ahead for new tenants of the default policy (0: none); each holds ~15 MiB (local backend) or a running container (docker).", "SANDCASTLE_WARM_POOL"),
  MAX_TENANTS_PER_USER("max-tenants-per-user", "16", "Workspaces one user may have (one per policy and context); more are refused (429).", "SANDCASTLE_MAX_TENANTS_PER_USER"),
  SWEEP_INTERVAL("sweep-interval", "15", "Seconds between checks for idle workspaces and scheduled resets.", "SANDCASTLE_SWEEP_INTERVAL"),
  STORAGE("storage", "10g", "Disk limit of a tenant's home: local makes the home an ext4 image of that size on a loop device (as root, with loop devices), docker caps its volume where the engine has project quotas (XFS), kubernetes sizes its PVC; the admin status says whether it holds.", "SANDCASTLE_STORAGE"),
  TENANT_UID_BASE("tenant-uid-base", "200000", "serve: tenant n runs as uid base+n.", "SANDCASTLE_TENANT_UID_BASE"),
  ALLOWED_IMAGES("allowed-images", "", "Comma-separated container images that policies may name.", "SANDCASTLE_ALLOWED_IMAGES"),
  ALLOWED_RUNTIMES("allowed-runtimes", "", "Comma-separated container runtimes that policies may name: OCI runtimes for docker (e.g. runsc, gVisor), RuntimeClass names for kubernetes and operator (e.g. gvisor); the operator refuses Terminals naming others. The server's default (--docker-runtime, --kubernetes-runtime-class) is always allowed; empty: policies may name no other.", "SANDCASTLE_ALLOWED_RUNTIMES"),
  SIEM_URL("siem-url", "", "Webhook that receives every audit event (JSON, batched, HMAC-signed, retried until delivered).", "SANDCASTLE_SIEM_URL"),
  SIEM_SECRET("siem-secret", "", "HMAC-SHA256 key of the SIEM webhook's X-Sandcastle-Signature header.", "SANDCASTLE_SIEM_SECRET"),
  AUDIT_RETENTION_DAYS("audit-retention-days", "0", "Days the database keeps audit events (0: forever); older ones are deleted every hour, except those the SIEM webhook has not received yet.", "SANDCASTLE_AUDIT_RETENTION_DAYS"),
  OPENAI_API_BASE_URLS("openai-api-base-urls", "", "Code interpreter: the OpenAI-compatible APIs in front of which /v1/chat/completions runs code (Ollama, vLLM, llama.cpp, OpenAI), separated by ';'.", "OPENAI_API_BASE_URLS", "OPENAI_API_BASE_URL"),
  OPENAI_API_KEYS("openai-api-keys", "", "Their API keys, in the same order, separated by ';'.", "OPENAI_API_KEYS", "OPENAI_API_KEY"),
  CODE_INTERPRETER_ENGINE("code-interpreter-engine", "workspace", "Where the model's code runs by default: workspace (the user's own kernel), jupyter or pyodide (the user's browser).", "SANDCASTLE_CODE_INTERPRETER_ENGINE", "CODE_INTERPRETER_ENGINE"),
  CODE_INTERPRETER_MODE("code-interpreter-mode", "native", "native (the execute_code tool) or legacy (XML tags in the reply, for models without tool calling).", "SANDCASTLE_CODE_INTERPRETER_MODE"),
  CODE_INTERPRETER_ROUNDS("code-interpreter-rounds", "16", "Code executions per answer at most; a request may ask for fewer.", "SANDCASTLE_CODE_INTERPRETER_ROUNDS"),
  CODE_INTERPRETER_TIMEOUT("code-interpreter-timeout", "120", "Seconds one execution may run before it is interrupted.", "SANDCASTLE_CODE_INTERPRETER_TIMEOUT", "CODE_INTERPRETER_JUPYTER_TIMEOUT"),
  PYODIDE_INDEX_URL("pyodide-index-url", "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/", "Browser Python (Pyodide): the package index from which packages missing from the server's mirror (<data-dir>/pyodide) are fetched when a page first asks for them, each checked against the sha256 of the lock file before it is kept or served; the default is Pyodide's CDN for exactly the bundled version. Empty: no fetching, only what sandcastle pyodide import brought.", "SANDCASTLE_PYODIDE_INDEX_URL"),
  JUPYTER_URL("jupyter-url", "", "The Jupyter Server of the jupyter engine, e.g. http://127.0.0.1:8888.", "SANDCASTLE_JUPYTER_URL", "CODE_INTERPRETER_JUPYTER_URL"),
  JUPYTER_TOKEN("jupyter-token", "", "Its token.", "SANDCASTLE_JUPYTER_TOKEN", "CODE_INTERPRETER_JUPYTER_AUTH_TOKEN"),
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
