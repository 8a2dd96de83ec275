package dev.sandcastle.core.files;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Conflict;
import dev.sandcastle.core.errors.InsufficientStorage;
import dev.sandcastle.core.errors.NotFound;
import dev.sandcastle.core.errors.SandcastleException;
import dev.sandcastle.core.errors.Unavailable;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns I/O exceptions into the errors clients see. Messages name view paths only: the JDK's own
 * messages carry host paths, so they are kept as the (never shown) cause.
 */
final class IoErrors {
  private IoErrors() {}

  static SandcastleException translate(IOException e, String viewPath) {
    String reason = e.getMessage() == null ? "" : e.getMessage();
    return switch (e) {
      case NoSuchFileException x -> new NotFound("No such file or directory: " + viewPath, x);
      case FileAlreadyExistsException x -> new Conflict("Already exists: " + viewPath, x);
      case DirectoryNotEmptyException x -> new Conflict("Directory is not empty: " + viewPath, x);
      case NotDirectoryException x -> new BadRequest("Not a directory: " + viewPath, x);
      case AccessDeniedException x -> new BadRequest("Permission denied: " + viewPath, x);
      case AtomicMoveNotSupportedException x ->
          new Unavailable("Cannot move across file systems: " + viewPath, x);
      default -> {
        if (reason.contains("symbolic link")) {
          yield new Conflict(viewPath + " changed while it was being used; try again", e);
        } else if (reason.contains("No space left") || reason.contains("quota")) {
          yield new InsufficientStorage("The workspace is out of disk space (its storage limit is reached): " + viewPath, e);
        } else if (reason.contains("Operation not permitted")) {
          yield new BadRequest("Permission denied: " + viewPath, e);
        } else if (reason.contains("File name too long")) {
          yield new BadRequest("File name too long: " + viewPath, e);
        } else if (reason.contains("Is a directory")) {
          yield new BadRequest("Is a directory: " + viewPath, e);
        } else if (reason.contains("Not a directory")) {
          yield new BadRequest("Not a directory: " + viewPath, e);
        } else if (reason.contains("Invalid argument")) {
          yield new BadRequest("Invalid operation on " + viewPath, e);
        }
        yield new Unavailable("I/O error on " + viewPath, e);
      }
    };
  }
}
