/* The system-call filter's probe (SystemCallFilterTest): run inside a workspace, it makes each
   call the filter is meant to refuse (and a few it must allow) and prints how each one ended. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Makes one call in a child of its own (so that a call let through changes nothing here) and
   prints its name and the errno's name, or OK. */
static void try(const char *name, long nr, long a, long b, long c, long d, long e) {
  int out[2];
  if (pipe(out) != 0) return;
  pid_t pid = fork();
  if (pid == 0) {
    long r = syscall(nr, a, b, c, d, e, 0L);
    int err = r == -1 ? errno : 0;
    write(out[1], &err, sizeof err);
    _exit(0);
  }
  close(out[1]);
  int err = -1;
  if (read(out[0], &err, sizeof err) != sizeof err) err = -1;
  close(out[0]);
  waitpid(pid, NULL, 0);
  printf("%s %s\n", name, err == 0 ? "OK" : err < 0 ? "NO-ANSWER" : strerrorname_np(err));
}

#ifdef __x86_64__
/* A call through the i386 entry point, from this 64-bit process. */
static void try_int80(const char *name, long nr) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr) : "memory", "r8", "r9", "r10", "r11");
  printf("%s %s\n", name, r < 0 && r > -4096 ? strerrorname_np((int) -r) : "OK");
}
#endif

int main(void) {
  static char buffer[4096];
  static struct perf_event_attr perf = {.type = PERF_TYPE_SOFTWARE, .size = sizeof perf,
      .config = PERF_COUNT_SW_TASK_CLOCK, .exclude_kernel = 1, .exclude_hv = 1};
  static struct { unsigned int bytes; int type; unsigned char f[128]; } handle = {.bytes = 128};
  static struct { unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls; } clone3 = {.exit_signal = SIGCHLD};
  struct iovec local = {buffer, 16}, remote = {buffer, 16};
  int mount_id;
  setvbuf(stdout, NULL, _IOLBF, 0);
  long pid1 = syscall(SYS_pidfd_open, 1, 0);

  try("io_uring_setup", SYS_io_uring_setup, 1, (long) buffer, 0, 0, 0);
  unsigned long aio_context = 0;
  try("io_setup", SYS_io_setup, 128, (long) &aio_context, 0, 0, 0);
  try("io_uring_enter", SYS_io_uring_enter, 0, 0, 0, 0, 0);
  try("io_uring_register", SYS_io_uring_register, 0, 0, 0, 0, 0);
  try("keyctl", SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0, 0, 0);
  try("add_key", SYS_add_key, (long) "user", (long) "sandcastle", (long) "x", 1, -2);
  try("request_key", SYS_request_key, (long) "user", (long) "sandcastle", 0, 0, 0);
  try("perf_event_open", SYS_perf_event_open, (long) &perf, 0, -1, -1, 0);
  try("userfaultfd", SYS_userfaultfd, O_CLOEXEC, 0, 0, 0, 0);
  try("bpf", SYS_bpf, BPF_MAP_CREATE, (long) buffer, 72, 0, 0);
  try("personality(READ_IMPLIES_EXEC)", SYS_personality, 0x0400000, 0, 0, 0, 0);
  try("personality(ADDR_NO_RANDOMIZE)", SYS_personality, 0x0040000, 0, 0, 0, 0);
  try("personality(query)", SYS_personality, 0xffffffffL, 0, 0, 0, 0);
  try("name_to_handle_at", SYS_name_to_handle_at, AT_FDCWD, (long) ".", (long) &handle, (long) &mount_id, 0);
  try("open_by_handle_at", SYS_open_by_handle_at, AT_FDCWD, (long) &handle, O_RDONLY, 0, 0);
  try("pidfd_getfd(pid 1)", SYS_pidfd_getfd, pid1, 0, 0, 0, 0);
  try("ptrace(ATTACH, pid 1)", SYS_ptrace, PTRACE_ATTACH, 1, 0, 0, 0);
  try("ptrace(SEIZE, pid 1)", SYS_ptrace, PTRACE_SEIZE, 1, 0, 0, 0);
  try("process_vm_readv(pid 1)", SYS_process_vm_readv, 1, (long) &local, 1, (long) &remote, 1);
  try("process_vm_writev(pid 1)", SYS_process_vm_writev, 1, (long) &local, 1, (long) &remote, 1);
  try("kcmp", SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, 0, 0);
  try("socket(AF_VSOCK)", SYS_socket, AF_VSOCK, SOCK_STREAM, 0, 0, 0);
  try("socket(AF_PACKET)", SYS_socket, AF_PACKET, SOCK_RAW, 0x0300, 0, 0);
  try("socket(AF_ALG)", SYS_socket, AF_ALG, SOCK_SEQPACKET, 0, 0, 0);
  try("socket(NETLINK_AUDIT)", SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_AUDIT, 0, 0);
  try("socket(NETLINK_SOCK_DIAG)", SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG, 0, 0);
  try("socket(NETLINK_ROUTE)", SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, 0, 0);
  try("socket(AF_INET6)", SYS_socket, AF_INET6, SOCK_STREAM, 0, 0, 0);
  try("socket(AF_UNIX)", SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0, 0);
  try("unshare(CLONE_NEWUSER)", SYS_unshare, CLONE_NEWUSER, 0, 0, 0, 0);
  try("clone(CLONE_NEWNET)", SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
  try("clone3", SYS_clone3, (long) &clone3, sizeof clone3, 0, 0, 0);
  try("setns", SYS_setns, 0, 0, 0, 0, 0);
  try("mount", SYS_mount, (long) "none", (long) "probe-mnt", (long) "tmpfs", 0, 0);
  try("umount2", SYS_umount2, (long) "probe-mnt", 0, 0, 0, 0);
  try("pivot_root", SYS_pivot_root, (long) ".", (long) ".", 0, 0, 0);
  try("chroot", SYS_chroot, (long) "/", 0, 0, 0, 0);
  try("fsopen", SYS_fsopen, (long) "tmpfs", 0, 0, 0, 0);
  try("open_tree", SYS_open_tree, AT_FDCWD, (long) "/", 0, 0, 0);
  try("kexec_load", SYS_kexec_load, 0, 0, 0, 0, 0);
  try("init_module", SYS_init_module, (long) buffer, 0, (long) "", 0, 0);
  try("finit_module", SYS_finit_module, -1, (long) "", 0, 0, 0);
  try("delete_module", SYS_delete_module, (long) "sandcastle", 0, 0, 0, 0);
  try("reboot", SYS_reboot, 0, 0, 0, 0, 0);
  try("swapon", SYS_swapon, (long) "/nonexistent", 0, 0, 0, 0);
  try("syslog", SYS_syslog, 3 /* READ_ALL */, (long) buffer, sizeof buffer, 0, 0);
  try("get_mempolicy", SYS_get_mempolicy, 0, 0, 0, 0, 0);
#ifdef __x86_64__
  try("iopl", SYS_iopl, 3, 0, 0, 0, 0);
  try("x32 getpid", 0x40000000L | SYS_getpid, 0, 0, 0, 0, 0);
  try_int80("i386 getpid", 20);
#endif
  printf("DONE\n");
  return 0;
}
