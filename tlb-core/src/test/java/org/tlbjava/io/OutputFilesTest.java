package org.tlbjava.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tlbjava.TlbException;

/** A write that fails says why in one line naming the file, and leaves nothing behind. */
class OutputFilesTest {
    @TempDir
    Path tmp;

    @Test
    void aFullDiskIsNamedWithTheFile() throws Exception {
        Path target = tmp.resolve("model.onnx");
        // what FileOutputStream.write throws on ENOSPC
        TlbException e = assertThrows(TlbException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[100]);
            throw new IOException("No space left on device");
        }));
        assertEquals("no space left writing " + target, e.getMessage());
        assertNothingLeft();
    }

    @Test
    void aReadOnlyOrBlockedFolderIsNamedWithTheFile() throws Exception {
        Path target = tmp.resolve("report.html");
        TlbException readOnly = assertThrows(TlbException.class, () -> AtomicFiles.write(target, out -> {
            throw new FileSystemException(tmp.resolve(".report.html.tmp").toString(), null, "Read-only file system");
        }));
        assertEquals("cannot write " + target + ": Read-only file system", readOnly.getMessage());
        assertNothingLeft();

        Path blocker = Files.writeString(tmp.resolve("file"), "x");
        Path under = blocker.resolve("out.html");
        TlbException notADirectory = assertThrows(TlbException.class, () -> AtomicFiles.writeString(under, "x"));
        assertEquals("cannot write " + under + ": " + blocker + " is a file, not a directory",
                notADirectory.getMessage());
    }

    private void assertNothingLeft() throws IOException {
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(0, left.filter(p -> !p.getFileName().toString().equals("file")).count());
        }
    }
}
