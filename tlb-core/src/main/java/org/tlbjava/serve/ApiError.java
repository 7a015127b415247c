package org.tlbjava.serve;

/**
 * An HTTP API error, answered as {@code {"code":…,"type":…,"message":…}} with {@code code} as
 * the status. The type names follow DJL Serving's, so its clients recognise them.
 */
public final class ApiError extends RuntimeException {
    private final int code;
    private final String type;

    private ApiError(int code, String type, String message) {
        super(message);
        this.code = code;
        this.type = type;
    }

    public int code() {
        return code;
    }

    public String type() {
        return type;
    }

    public static ApiError badRequest(String message) {
        return new ApiError(400, "BadRequestException", message);
    }

    public static ApiError forbidden(String message) {
        return new ApiError(403, "ForbiddenException", message);
    }

    public static ApiError notFound(String message) {
        return new ApiError(404, "ModelNotFoundException", message);
    }

    public static ApiError methodNotAllowed(String message) {
        return new ApiError(405, "MethodNotAllowedException", message);
    }

    public static ApiError timeout(String message) {
        return new ApiError(408, "RequestTimeoutException", message);
    }

    public static ApiError tooLarge(String message) {
        return new ApiError(413, "PayloadTooLargeException", message);
    }

    public static ApiError unsupportedType(String message) {
        return new ApiError(415, "UnsupportedMediaTypeException", message);
    }

    public static ApiError busy(String message) {
        return new ApiError(503, "ServiceUnavailableException", message);
    }

    public static ApiError internal(String message) {
        return new ApiError(500, "InternalServerException", message);
    }
}
