package dev.sandcastle.orchestrator.backend;

import dev.sandcastle.core.workspace.Workspace;
import java.net.URI;

/** Where a tenant's running workspace is: in this JVM, or behind a URL the orchestrator proxies to. */
public sealed interface Instance {
  /** The backend's id of the instance ("" for in-process ones), recorded in the tenants table. */
  String id();

  /** A workspace hosted in this JVM (the local backend): requests are served by calling it. */
  record Local(String id, Workspace workspace) implements Instance {}

  /**
   * A workspace server elsewhere ({@code sandcastle terminal} or Open Terminal): requests are proxied.
   *
   * @param base its base URL, e.g. {@code http://10.0.0.7:8000}
   * @param apiKey its own API key, substituted for the caller's credentials
   */
  record Remote(String id, String name, URI base, String apiKey) implements Instance {
    public Remote {
      if (base == null || base.getHost() == null) {
        throw new IllegalArgumentException("a remote instance needs an http(s) URL with a host");
      }
    }

    @Override
    public String toString() {
      return "Remote[" + id + " at " + base + "]"; // never the key
    }
  }
}
