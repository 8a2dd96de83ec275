package dev.sandcastle.orchestrator;

import java.util.function.Consumer;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** Jetty HTTP clients of the orchestrator's outbound calls: each on its own named pool of daemon threads. */
public final class JettyClients {
  private JettyClients() {}

  /**
   * A started client named {@code name}, its threads {@code <name>-client}, configured by {@code configure} before it starts.
   *
   * @throws IllegalStateException it could not start
   */
  public static HttpClient start(String name, int maxThreads, int minThreads, Consumer<HttpClient> configure) {
    QueuedThreadPool threads = new QueuedThreadPool(maxThreads, minThreads);
    threads.setName(name + "-client");
    threads.setDaemon(true);
    HttpClient client = new HttpClient();
    client.setExecutor(threads);
    client.setName(name);
    configure.accept(client);
    try {
      client.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the " + name + " HTTP client", e);
    }
    return client;
  }
}
