package dev.sandcastle.core.files;

/** What {@link WorkspaceFiles#read} returns: text with line numbers, or an image's bytes. */
public sealed interface FileContent permits TextContent, BinaryContent {
  /** The view path that was read. */
  String path();
}
