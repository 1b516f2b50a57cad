/** Typed HTTP errors: thrown anywhere, rendered by the one error handler. */
export class HttpError extends Error {
  readonly status: number;
  readonly view: string;
  readonly expose: boolean;
  constructor(status: number, message: string, view = String(status)) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.view = view;
    this.expose = status < 500;
  }
}

export class BadRequest extends HttpError {
  constructor(message = 'The request could not be understood.') {
    super(400, message);
  }
}

export class Unauthorized extends HttpError {
  constructor(message = 'Please sign in to continue.') {
    super(401, message);
  }
}

export class Forbidden extends HttpError {
  constructor(message = 'You do not have access to this page.') {
    super(403, message);
  }
}

export class NotFound extends HttpError {
  constructor(message = 'We could not find that page.') {
    super(404, message);
  }
}

export class Conflict extends HttpError {
  constructor(message: string) {
    super(409, message);
  }
}

export class TooManyRequests extends HttpError {
  constructor(message = 'Too many attempts. Please wait a moment and try again.') {
    super(429, message);
  }
}

/** The database or Redis is away for now; the page says so and asks to try again shortly. */
export class ServiceUnavailable extends HttpError {
  /** Seconds a client should wait before trying again (the Retry-After header). */
  readonly retryAfter = 5;
  constructor(cause?: unknown, message = 'Steward is briefly unavailable. Please try again in a moment.') {
    super(503, message);
    this.cause = cause;
  }
}

export class UnknownHost extends HttpError {
  readonly host: string;
  constructor(host: string) {
    super(404, `No organisation uses the address ${host}.`, 'unknown-host');
    this.host = host;
  }
}

export class TenantSuspended extends HttpError {
  readonly tenantName: string;
  constructor(tenantName: string) {
    super(403, `${tenantName} is suspended.`, 'suspended');
    this.tenantName = tenantName;
  }
}

/** Field-level validation failure; `fields` maps a field name to its message. */
export class ValidationError extends HttpError {
  readonly fields: Record<string, string>;
  constructor(fields: Record<string, string>, message = 'Please correct the highlighted fields.') {
    super(422, message);
    this.fields = fields;
  }
}

/** A create the tenant's plan does not allow any more; the message names the plan and how to upgrade. */
export class PlanLimitReached extends HttpError {
  readonly resource: string;
  constructor(resource: string, message: string) {
    super(422, message);
    this.resource = resource;
  }
}
