package dev.sandcastle.core.sandbox;

import java.nio.file.Path;
import java.util.List;

/**
 * One workspace's control group. Every process of the workspace lives in it, so its limits hold
 * whatever the processes do (fork, setsid, daemonise).
 */
public interface Cgroup extends AutoCloseable {

  /** The {@code cgroup.procs} files a launcher writes its own pid into before it execs the sandbox. */
  List<Path> procsFiles();

  /** How many times the kernel's OOM killer has killed a process of this group so far. */
  long oomKills();

  /** SIGKILLs every process in the group and waits until it is empty (bounded). */
  void killAll();

  /** Kills what is left and removes the group. */
  @Override
  void close();

  /** Describes the limits for people (the system prompt, logs). */
  String describe();
}
