package org.tlbjava.model;

import ai.djl.engine.Engine;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Process-wide settings of the native engine that DJL does not expose (docs/PERFORMANCE.md has
 * the measurements behind each):
 * <ul>
 * <li>glibc keeps freed buffers instead of unmapping them. A training step allocates and frees
 *     thousands of 0.5–10 MB tensors; by default each is a fresh mmap whose pages the kernel
 *     faults in and zeroes on first touch, ~25 % of a step's CPU time here.</li>
 * <li>mixed precision: PyTorch's "medium" float32 matmul precision, under which fp32 matmuls run
 *     as oneDNN bf16 matmuls (bf16 inputs, fp32 accumulation and results) on CPUs with AVX-512
 *     bf16: the reference's mixed_float16 policy for its matmuls, in the 16-bit format this CPU
 *     computes in (no loss scaling needed), with fp32 weights. DJL has no call for it, so it is
 *     made on libtorch's own symbols.</li>
 * </ul>
 */
public final class EngineTuning {
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_TOP_PAD = -2;
    private static final int M_MMAP_THRESHOLD = -3;
    /** glibc's ceiling for the mmap threshold on 64-bit (a larger value is refused). */
    private static final int MMAP_THRESHOLD = 32 << 20;
    private static final int TOP_PAD = 256 << 20;
    /** at::Float32MatmulPrecision: HIGHEST (fp32) = 0, MEDIUM (bf16 allowed) = 2. */
    private static final int HIGHEST = 0;
    private static final int MEDIUM = 2;
    private static final String GLOBAL_CONTEXT = "_ZN2at13globalContextEv";
    private static final String SET_PRECISION =
            "_ZN2at7Context25setFloat32MatmulPrecisionENS_22Float32MatmulPrecisionE";
    private static final String GET_PRECISION = "_ZNK2at7Context22float32MatmulPrecisionEv";

    private static boolean allocatorTuned;
    private static NativeLibrary libtorch;

    private interface LibC extends Library {
        int mallopt(int param, int value);
    }

    private EngineTuning() {}

    /** Applies the allocator settings once per process; a no-op off glibc Linux. Returns whether they are in effect. */
    public static synchronized boolean tuneAllocator() {
        if (!allocatorTuned && Platform.isLinux() && !Platform.isAndroid()) {
            try {
                LibC libc = Native.load("c", LibC.class);
                allocatorTuned = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                        & libc.mallopt(M_TRIM_THRESHOLD, Integer.MAX_VALUE) == 1
                        & libc.mallopt(M_TOP_PAD, TOP_PAD) == 1;
            } catch (UnsatisfiedLinkError e) {
                allocatorTuned = false; // not glibc (e.g. musl): the defaults stay, only slower
            }
        }
        return allocatorTuned;
    }

    /**
     * Lets fp32 matmuls run in bf16 (true) or keeps them fp32 (false), for the whole process.
     * Returns whether the engine now runs as asked; when libtorch's symbols are not found
     * (another engine build) matmuls stay fp32 and asking for bf16 returns false.
     */
    public static synchronized boolean bf16Matmul(boolean enabled) {
        NativeLibrary torch = libtorchCpu();
        if (torch == null) {
            return !enabled;
        }
        try {
            Pointer context = torch.getFunction(GLOBAL_CONTEXT).invokePointer(new Object[0]);
            int wanted = enabled ? MEDIUM : HIGHEST;
            torch.getFunction(SET_PRECISION).invokeVoid(new Object[] {context, wanted});
            return torch.getFunction(GET_PRECISION).invokeInt(new Object[] {context}) == wanted;
        } catch (UnsatisfiedLinkError e) {
            return !enabled;
        }
    }

    /** The libtorch_cpu library DJL has loaded into this process, found once through /proc/self/maps. */
    private static NativeLibrary libtorchCpu() {
        if (libtorch != null) {
            return libtorch;
        }
        Engine.getEngine("PyTorch"); // loads the native libraries
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash >= 0 && line.endsWith("/libtorch_cpu.so")) {
                    libtorch = NativeLibrary.getInstance(line.substring(slash));
                    return libtorch;
                }
            }
        } catch (IOException | UnsatisfiedLinkError e) {
            return null;
        }
        return null;
    }
}
