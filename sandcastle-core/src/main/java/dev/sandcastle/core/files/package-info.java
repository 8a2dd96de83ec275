/**
 * Workspace file operations for the Open Terminal file API, confined to the workspace.
 *
 * <p>Entry point: {@link dev.sandcastle.core.files.WorkspaceFiles}. The workspace is a host
 * directory that untrusted sandboxed code modifies concurrently while the server (often running
 * as root) serves requests on it. The guarantee: no operation reads, writes, creates, deletes or
 * lists anything outside the workspace, even while the sandbox swaps directories for symbolic
 * links between our checks and our uses.
 *
 * <p>How: client paths are normalized lexically ({@code ViewPaths}), then walked one component at
 * a time through directories held open ({@code SecureTree}, on {@link
 * java.nio.file.SecureDirectoryStream}), with NOFOLLOW on every descriptor-relative call. Links
 * are followed by our code only, and only while they stay under home. Creating goes through
 * O_CREAT|O_EXCL in a held directory (files) or a staging directory renamed into a held one
 * (directories); replacing goes through a temporary file renamed within the held directory.
 * {@code SecureTree}'s class comment lists the two places where the JDK lacks a
 * descriptor-relative call, what we do instead, and the residual risks.
 *
 * <p>Whose rights: with a workspace owner on a root server, every operation runs on threads whose
 * file-system uid, gid and groups are the owner's ({@code AsOwner}, {@code ThreadCredentials}), so
 * the kernel also checks each access as for the owner; otherwise with the server's rights.
 *
 * <p>Limits of the model: the workspace's host root and its ancestors must not be writable by
 * the sandbox; file names are decoded with the JVM's file-name encoding (run with a UTF-8
 * locale); nested mounts inside the workspace are not expected (renames across them fail).
 */
package dev.sandcastle.core.files;
