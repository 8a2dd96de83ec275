package dev.sandcastle.orchestrator.backend.operator;

import dev.sandcastle.orchestrator.backend.kubernetes.WorkspaceObjects;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sandcastle operator}: watches Terminals and the pods made for them (fabric8 informers)
 * and runs a {@link TerminalReconciler} pass for a Terminal whenever either changes, and for every
 * Terminal at each resync (which is when idle timers are checked).
 *
 * <p>Threads. The informers' {@link ResourceEventHandler} callbacks run on fabric8's informer
 * thread, one event at a time, in order; they must not block, so they only put the Terminal's
 * name in a queue (a set keeps a name from being queued twice). One virtual thread takes names
 * off the queue and reconciles them one at a time, so passes for one Terminal never overlap. A
 * pass that fails (the API server is down, refused a write, or a 409 because the Terminal changed
 * meanwhile) is retried after a delay that doubles up to a minute; the next event for the
 * Terminal retries it sooner. Nothing here fails when a callback throws: a handler never does.
 */
public final class TerminalOperator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TerminalOperator.class);

  private final KubernetesClient client;
  private final String namespace;
  private final TerminalReconciler reconciler;
  private final Duration resync;
  private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<String, Integer> failures = new ConcurrentHashMap<>();
  private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("terminal-retry").factory());
  private volatile SharedIndexInformer<GenericKubernetesResource> terminals;
  private volatile SharedIndexInformer<Pod> pods;
  private volatile Thread worker;
  private volatile boolean closed;

  public TerminalOperator(KubernetesClient client, WorkspaceObjects objects, Clock clock, Duration resync) {
    this.client = client;
    this.namespace = objects.settings().namespace();
    this.reconciler = new TerminalReconciler(client, objects, clock);
    this.resync = resync;
  }

  /** Starts watching; returns once both informers have listed what exists (and queued it). */
  public void start() {
    worker = Thread.ofVirtual().name("terminal-reconciler").start(this::work);
    // Called on the informer thread: onAdd for every existing and new Terminal, onUpdate for each
    // change and at every resync (same object twice), onDelete when it is gone (children go with it).
    terminals = Terminal.in(client).inNamespace(namespace).inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(GenericKubernetesResource terminal) {
        enqueue(terminal.getMetadata().getName());
      }

      @Override
      public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
        enqueue(after.getMetadata().getName());
      }

      @Override
      public void onDelete(GenericKubernetesResource terminal, boolean finalStateUnknown) {
        failures.remove(terminal.getMetadata().getName());
      }
    }, resync.toMillis());
    // Pods of workspaces: a status change (scheduled, ready, failed) or a deletion is news for the
    // Terminal that owns the pod. Same thread and rules as above.
    pods = client.pods().inNamespace(namespace).withLabel(WorkspaceObjects.MANAGED_BY, WorkspaceObjects.MANAGER)
        .withLabel(TerminalReconciler.TERMINAL).inform(new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod pod) {
            enqueueOwner(pod);
          }

          @Override
          public void onUpdate(Pod before, Pod after) {
            enqueueOwner(after);
          }

          @Override
          public void onDelete(Pod pod, boolean finalStateUnknown) {
            enqueueOwner(pod);
          }
        }, 0);
    log.info("operator watching Terminals ({}) in namespace {}", Terminal.API_VERSION, namespace);
  }

  private void enqueueOwner(HasMetadata object) {
    List<OwnerReference> owners = object.getMetadata().getOwnerReferences();
    if (owners != null) {
      owners.stream().filter(o -> Terminal.KIND.equals(o.getKind()) && Terminal.API_VERSION.equals(o.getApiVersion()))
          .forEach(o -> enqueue(o.getName()));
    }
  }

  private void enqueue(String name) {
    if (!closed && queued.add(name)) {
      queue.add(name);
    }
  }

  private void work() {
    while (!closed) {
      String name;
      try {
        name = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      queued.remove(name); // events from now on queue it again
      try {
        reconciler.reconcile(name);
        failures.remove(name);
      } catch (KubernetesClientException | IllegalArgumentException e) {
        if (e instanceof KubernetesClientException k && k.getCode() == 409) {
          enqueue(name); // written meanwhile: read it again and redo the pass
          continue;
        }
        int count = failures.merge(name, 1, Integer::sum);
        long delay = Math.min(60_000, 250L << Math.min(count, 8));
        log.warn("terminal {}/{}: reconcile failed ({}); retrying in {} ms", namespace, name, e.getMessage(), delay);
        if (!closed) {
          retries.schedule(() -> enqueue(name), delay, TimeUnit.MILLISECONDS);
        }
      } catch (RuntimeException e) {
        log.error("terminal {}/{}: reconcile failed", namespace, name, e);
        if (!closed) {
          retries.schedule(() -> enqueue(name), 60, TimeUnit.SECONDS);
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    if (terminals != null) {
      terminals.close();
    }
    if (pods != null) {
      pods.close();
    }
    retries.shutdownNow();
    if (worker != null) {
      worker.interrupt();
    }
  }
}
