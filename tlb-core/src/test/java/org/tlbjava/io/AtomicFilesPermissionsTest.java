package org.tlbjava.io;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesPermissionsTest {
    @TempDir
    Path tmp;

    @Test
    void filesGetTheUsersUmaskLikeAnyNewFile() throws Exception {
        Path plain = Files.writeString(tmp.resolve("plain.txt"), "x"); // created under the process's umask
        Path written = tmp.resolve("written.txt");
        AtomicFiles.writeString(written, "x");
        // under the usual umask 022 that is rw-r--r--; Files.createTempFile would give rw-------
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(written));
    }
}
