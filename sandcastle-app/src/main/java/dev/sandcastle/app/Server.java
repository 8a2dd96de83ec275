package dev.sandcastle.app;

import dev.sandcastle.api.ApiSettings;
import dev.sandcastle.api.WorkspaceApi;
import dev.sandcastle.api.Workspaces;
import dev.sandcastle.core.sandbox.Cgroups;
import dev.sandcastle.core.sandbox.Sandbox;
import dev.sandcastle.core.sandbox.SandboxPolicy;
import dev.sandcastle.core.workspace.Workspace;
import dev.sandcastle.core.workspace.WorkspaceSettings;
import io.javalin.Javalin;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wiring: the one place that builds the object graph of a server from its {@link Config}. */
final class Server implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Server.class);

  private final Workspace workspace;
  private final Javalin app;
  private final java.nio.channels.FileChannel lock;

  private Server(Workspace workspace, Javalin app, java.nio.channels.FileChannel lock) {
    this.workspace = workspace;
    this.app = app;
    this.lock = lock;
  }

  /** Builds and starts a server; the caller closes it. */
  static Server start(Config config, PrintWriter out) {
    checkSandboxTools(config);
    java.nio.channels.FileChannel lock = lockDataDir(config.dataDir());
    String apiKey = ApiKeys.resolve(config, out);
    Cgroups cgroups = Cgroups.detect();
    if (!cgroups.available()) {
      log.warn("{}: memory, process and CPU limits are NOT enforced", cgroups.describe());
    }
    boolean root = Sandbox.currentUid() == 0;
    int uid = root ? config.uid() : -1;
    Workspace workspace = new Workspace(new WorkspaceSettings("default", config.workspaceHome(),
        config.dataDir().resolve("state/default"), config.policy(), uid, uid, config.exec(), config.files(), config.kernels(),
        config.terminals()), cgroups);
    Path uploads = config.dataDir().resolve("tmp");
    try {
      Files.createDirectories(uploads);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + uploads, e);
    }
    // The sandbox starts beside the HTTP server (one Python process, on another core), not after
    // it; start-up still fails when it cannot start, and the first command finds it running.
    var sandboxStart = java.util.concurrent.CompletableFuture.runAsync(workspace::supervisor, Thread::startVirtualThread);
    WorkspaceApi api = new WorkspaceApi(Workspaces.single(workspace),
        new ApiSettings(apiKey, config.maxRequestBytes(), config.maxUploadBytes(), uploads).withProxies(config.trustedProxies()),
        dev.sandcastle.api.OpenApiDocument::load, config.hints());
    Javalin app = api.create(config.host(), config.port());
    try {
      app.start();
    } catch (RuntimeException e) {
      sandboxStart.exceptionally(failure -> null).join();
      workspace.close();
      closeQuietly(lock);
      throw new Config.Invalid("cannot listen on " + config.host() + ":" + config.port() + ": " + rootCause(e));
    }
    try {
      sandboxStart.join();
    } catch (java.util.concurrent.CompletionException e) {
      app.stop();
      workspace.close();
      closeQuietly(lock);
      throw e.getCause() instanceof RuntimeException cause ? cause : e;
    }
    log.info("Sandcastle workspace API on http://{}:{} (sandbox {}, network {}, home {})", config.host(), app.port(),
        config.policy().mechanism().name().toLowerCase(), config.policy().network().name().toLowerCase(), config.workspaceHome());
    return new Server(workspace, app, lock);
  }

  /** One server per data directory: a second one would reap the first one's sandboxes. */
  static java.nio.channels.FileChannel lockDataDir(Path dataDir) {
    try {
      DataDirectory.secure(dataDir);
      var channel = java.nio.channels.FileChannel.open(dataDir.resolve(".lock"),
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
      java.nio.channels.FileLock held;
      try {
        held = channel.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        held = null; // this very process holds it
      }
      if (held == null) {
        channel.close();
        throw new Config.Invalid("another Sandcastle server is using the data directory " + dataDir);
      }
      return channel;
    } catch (IOException e) {
      throw new Config.Invalid("cannot use the data directory " + dataDir + ": " + e.getMessage());
    }
  }

  private static void closeQuietly(java.nio.channels.FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // releasing a lock on exit
    }
  }

  static int run(Config config, PrintWriter out, PrintWriter err) {
    Server server;
    try {
      server = start(config, out);
    } catch (Config.Invalid e) {
      throw e;
    } catch (RuntimeException e) {
      err.println("sandcastle: cannot start: " + rootCause(e));
      return 1;
    }
    return awaitShutdown(server);
  }

  /** Blocks until the JVM is asked to stop (Ctrl-C, SIGTERM), then closes the server. */
  static int awaitShutdown(AutoCloseable server) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (Exception e) {
        log.warn("while shutting down: {}", e.toString());
      }
      stopped.countDown();
    }));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  int port() {
    return app.port();
  }

  Workspace workspace() {
    return workspace;
  }

  @Override
  public void close() {
    app.stop();
    workspace.close();
    closeQuietly(lock);
  }

  static void checkSandboxTools(Config config) {
    if (config.policy().mechanism() == SandboxPolicy.Mechanism.BWRAP && !Files.isExecutable(Path.of("/usr/bin/bwrap"))) {
      throw new Config.Invalid("--sandbox bwrap needs bubblewrap: install it (apt-get install bubblewrap) or run with --sandbox none inside a container");
    }
    if (!Files.isExecutable(Path.of("/usr/bin/python3"))) {
      throw new Config.Invalid("the workspace supervisor needs /usr/bin/python3 (apt-get install python3)");
    }
  }

  static String rootCause(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }
}
