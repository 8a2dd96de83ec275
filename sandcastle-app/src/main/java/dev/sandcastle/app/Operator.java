package dev.sandcastle.app;

import dev.sandcastle.orchestrator.backend.kubernetes.WorkspaceObjects;
import dev.sandcastle.orchestrator.backend.operator.TerminalOperator;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sandcastle operator}: reconciles the Terminal resources of one namespace into workspace
 * pods until stopped. Uses the same workspace settings as the kubernetes backend (image,
 * namespace, runtime class, node selector, tolerations, pod template, storage class), and
 * {@code --allowed-runtimes} as the runtime classes a Terminal may name besides the default.
 */
final class Operator {
  private static final Logger log = LoggerFactory.getLogger(Operator.class);

  private Operator() {}

  static int run(Config config, PrintWriter out, PrintWriter err) {
    KubernetesClient client = Kubernetes.client();
    TerminalOperator operator;
    try {
      // The operator's own objects carry no orchestrator label; the id only fills the setting.
      WorkspaceObjects objects = new WorkspaceObjects(Kubernetes.settings(config, client, "operator"));
      operator = new TerminalOperator(client, objects, Clock.systemUTC(), Duration.ofSeconds(30));
      operator.start();
    } catch (Config.Invalid e) {
      client.close();
      throw e;
    } catch (RuntimeException e) {
      client.close();
      err.println("sandcastle operator: cannot start: " + Server.rootCause(e));
      return 1;
    }
    log.info("sandcastle operator running");
    return Server.awaitShutdown(() -> {
      operator.close();
      client.close();
    });
  }
}
