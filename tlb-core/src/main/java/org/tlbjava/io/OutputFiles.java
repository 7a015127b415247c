package org.tlbjava.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collection;
import org.tlbjava.TlbException;
import org.tlbjava.UsageException;

/**
 * Checks on a file a command is about to write, and plain messages for a write that failed. An
 * output is written by renaming a new file over it ({@link AtomicFiles}), so whatever the path
 * named before is replaced: that must be a regular file or nothing, and never a file the command
 * reads its input from.
 */
public final class OutputFiles {
    private OutputFiles() {}

    /**
     * Refuses {@code target}, given as {@code option}, when it is a device, FIFO, socket, symbolic
     * link or directory, or when it is one of {@code inputs} (a run's own files).
     */
    public static void check(String option, Path target, Collection<Path> inputs) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return; // a new path
        }
        if (!attributes.isRegularFile()) {
            String kind = attributes.isDirectory() ? "a directory" : attributes.isSymbolicLink() ? "a symbolic link"
                    : "a device, FIFO or socket";
            throw new UsageException(option + " " + target + " is " + kind + ", not a regular file; give a new path or"
                    + " a regular file to replace");
        }
        for (Path input : inputs) {
            if (isSameFile(target, input)) {
                throw new UsageException(option + " " + target + " is " + (target.equals(input) ? "" : input + ", ")
                        + "a file the command reads from; give another path");
            }
        }
    }

    /** One message for a failed write of {@code target}: a full disk says so, naming the file. */
    public static TlbException failure(Object target, IOException e) {
        String reason = reason(e);
        if (reason.contains("No space left on device")) {
            return new TlbException("no space left writing " + target, e);
        }
        return new TlbException("cannot write " + target + ": " + reason, e);
    }

    /** Why an I/O operation failed, without the exception's class name or a temporary file's name. */
    private static String reason(IOException e) {
        if (e instanceof FileSystemException f) {
            return f.getReason() != null ? f.getReason() : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof NoSuchFileException ? "no such file or directory"
                    // what Files.createDirectories throws when a folder on the way is a file
                    : e instanceof FileAlreadyExistsException ? f.getFile() + " is a file, not a directory"
                    : e.getClass().getSimpleName();
        }
        return String.valueOf(e.getMessage());
    }

    private static boolean isSameFile(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }
}
