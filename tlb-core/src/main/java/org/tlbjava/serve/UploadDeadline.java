package org.tlbjava.serve;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Fails a request whose body has not fully arrived within {@code --upload-timeout}. The idle
 * timeout alone never fires for a client that sends one byte every few seconds, so without this
 * such a client holds its connection, and what it has sent, for as long as it likes. The failure
 * reaches the handler as a read that throws {@link UploadTooSlow}.
 */
final class UploadDeadline extends Handler.Wrapper {
    /** The cause of the failed read: the body did not arrive in time. */
    static final class UploadTooSlow extends TimeoutException {
        UploadTooSlow(long timeoutMs) {
            super("the request body did not arrive within the upload timeout of " + timeoutMs + " ms (--upload-timeout)");
        }
    }

    private final long timeoutMs;

    UploadDeadline(long timeoutMs) {
        this.timeoutMs = timeoutMs;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (request.getLength() == 0 || !request.getHeaders().contains(HttpHeader.CONTENT_LENGTH)
                && !request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)) {
            return super.handle(request, response, callback);
        }
        Scheduler.Task deadline = request.getComponents().getScheduler()
                .schedule(() -> request.fail(new UploadTooSlow(timeoutMs)), timeoutMs, TimeUnit.MILLISECONDS);
        Request timed = new Request.Wrapper(request) {
            @Override
            public Content.Chunk read() {
                Content.Chunk chunk = super.read();
                if (chunk != null && chunk.isLast()) {
                    deadline.cancel(); // the whole body is here
                }
                return chunk;
            }
        };
        boolean handled = super.handle(timed, response, Callback.from(deadline::cancel, callback));
        if (!handled) {
            deadline.cancel();
        }
        return handled;
    }
}
