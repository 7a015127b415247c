package org.tlbjava.train;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.tlbjava.TlbException;

/**
 * An exclusive lock on a run directory ({@code train.lock}), held while a process trains in it so
 * that two {@code --resume} processes cannot write one run. The operating system releases it when
 * the process ends, however it ends, so a killed run never leaves a stale lock.
 */
final class RunLock implements AutoCloseable {
    static final String FILE = "train.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static RunLock acquire(Path dir) {
        Path file = dir.resolve(FILE);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            FileLock lock = tryLock(channel);
            if (lock == null) {
                String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
                throw new TlbException(dir + " is in use: another tlb train" + (holder.isEmpty() ? "" : " (pid "
                        + holder + ")") + " is training in it; wait for it to finish or stop it first");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)));
            return new RunLock(channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new TlbException("cannot lock " + file + ": " + e.getMessage());
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** The lock, or null when another process, or another run in this one, holds it. */
    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // nothing was locked
        }
    }

    @Override
    public void close() throws IOException {
        lock.release();
        channel.close();
    }
}
