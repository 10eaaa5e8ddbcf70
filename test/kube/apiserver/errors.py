"""Status objects (meta/v1 Status) for every failure the fixture returns, with the reason,
code and message wording of k8s.io/apimachinery/pkg/api/errors, and the ApiError exception
the REST layer raises to return one."""


class ApiError(Exception):
    """A failure the handler turns into an HTTP response carrying a Status body."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self):
        return status_object(self.code, self.reason, self.message, self.details)


def status_object(code, reason, message, details=None):
    body = {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure',
            'message': message, 'reason': reason, 'code': code}
    if details is not None:
        body['details'] = details
    return body


def success_status(details=None):
    body = {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Success'}
    if details is not None:
        body['details'] = details
    return body


def qualified(resource, group):
    """`services`, `ipaddresspools.metallb.io`: how messages name a resource."""
    return resource if not group else '%s.%s' % (resource, group)


def _details(resource, group, name=None, **more):
    d = {}
    if name:
        d['name'] = name
    if group:
        d['group'] = group
    d['kind'] = resource
    d.update(more)
    return d


def not_found(resource, group, name):
    return ApiError(404, 'NotFound', '%s "%s" not found' % (qualified(resource, group), name),
                    _details(resource, group, name))


def already_exists(resource, group, name):
    return ApiError(409, 'AlreadyExists', '%s "%s" already exists' % (qualified(resource, group), name),
                    _details(resource, group, name))


def conflict(resource, group, name, why='the object has been modified; please apply your changes '
             'to the latest version and try again'):
    return ApiError(409, 'Conflict', 'Operation cannot be fulfilled on %s "%s": %s'
                    % (qualified(resource, group), name, why), _details(resource, group, name))


def gone_too_old(requested, oldest):
    return ApiError(410, 'Expired', 'too old resource version: %s (%s)' % (requested, oldest))


CONTINUE_EXPIRED = ('The provided continue parameter is too old to display a consistent list '
                    'result. You can start a new list without the continue parameter, or use the '
                    'continue token in this response to retrieve the remainder of the results. '
                    'Continuing with the provided token results in an inconsistent list - objects '
                    'that were created, modified, or deleted between the time the first chunk was '
                    'returned and now may show up in the list.')


def continue_expired():
    return ApiError(410, 'Expired', CONTINUE_EXPIRED)


def too_large_resource_version(requested, current):
    return ApiError(504, 'Timeout', 'Too large resource version: %s, current: %s' % (requested, current),
                    {'causes': [{'reason': 'ResourceVersionTooLarge',
                                 'message': 'Too large resource version'}],
                     'retryAfterSeconds': 1})


def forbidden(user, verb, resource, group, namespace, name=None, subresource=''):
    res = resource + ('/' + subresource if subresource else '')
    where = 'in the namespace "%s"' % namespace if namespace else 'at the cluster scope'
    what = '%s "%s"' % (qualified(resource, group), name) if name else qualified(resource, group)
    msg = '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s' % (
        what, user, verb, res, group, where)
    return ApiError(403, 'Forbidden', msg, _details(resource, group, name))


def unauthorized():
    return ApiError(401, 'Unauthorized', 'Unauthorized')


def bad_request(message):
    return ApiError(400, 'BadRequest', message)


def method_not_allowed():
    return ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')


def unsupported_media_type(accepted):
    return ApiError(415, 'UnsupportedMediaType',
                    'the body of the request was in an unknown format - accepted media types include: '
                    + ', '.join(accepted))


def not_acceptable(accepted):
    return ApiError(406, 'NotAcceptable', 'only the following media types are accepted: ' + ', '.join(accepted))


def resource_not_found():
    return ApiError(404, 'NotFound', 'the server could not find the requested resource', {})


def too_many_requests(retry_after):
    return ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.',
                    {'retryAfterSeconds': retry_after}, {'Retry-After': str(retry_after)})


def invalid(kind, group, name, causes):
    """causes: [(field, reason, message)], reason as metav1.CauseType (FieldValueInvalid, ...)."""
    parts = []
    for field, _reason, message in causes:
        parts.append('%s: %s' % (field, message) if field else message)
    if len(parts) == 1:
        joined = parts[0]
    else:
        joined = '[' + ', '.join(parts) + ']'
    kind_name = kind if not group else '%s.%s' % (kind, group)
    details = {'name': name, 'kind': kind, 'causes': [
        {'reason': r, 'message': m, 'field': f} for f, r, m in causes]}
    if group:
        details['group'] = group
    return ApiError(422, 'Invalid', '%s "%s" is invalid: %s' % (kind_name, name, joined), details)


def internal(message):
    return ApiError(500, 'InternalError', 'Internal error occurred: ' + message)
