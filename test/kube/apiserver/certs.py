"""The fixture's PKI, made with the openssl command line: a CA, a server certificate for
127.0.0.1 / ::1 / localhost / kubernetes.default.svc and the address it listens on, and
client certificates (CN = user, O = each group), all ECDSA P-256 and valid for a day."""
import ipaddress
import os
import subprocess

SERVER_SANS = ('DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,'
               'DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:::1')


def _run(*args):
    subprocess.run(['openssl'] + list(args), check=True, capture_output=True)


def _key(path):
    _run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path)
    os.chmod(path, 0o600)


def make_ca(directory):
    key, crt = os.path.join(directory, 'ca.key'), os.path.join(directory, 'ca.crt')
    _key(key)
    _run('req', '-x509', '-new', '-key', key, '-out', crt, '-days', '1', '-subj',
         '/CN=bgplb-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE',
         '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    return key, crt


def _sign(directory, stem, subject, extensions):
    key = os.path.join(directory, stem + '.key')
    csr = os.path.join(directory, stem + '.csr')
    crt = os.path.join(directory, stem + '.crt')
    ext = os.path.join(directory, stem + '.ext')
    _key(key)
    _run('req', '-new', '-key', key, '-out', csr, '-subj', subject)
    with open(ext, 'w') as f:
        f.write(extensions)
    _run('x509', '-req', '-in', csr, '-CA', os.path.join(directory, 'ca.crt'),
         '-CAkey', os.path.join(directory, 'ca.key'), '-CAcreateserial', '-out', crt,
         '-days', '1', '-extfile', ext)
    os.remove(csr)
    os.remove(ext)
    return key, crt


def server_sans(host):
    """The SANs, with `host` (the listening address) added when it is a specific IP address
    (clients elsewhere, e.g. in the e2e rack's namespaces, verify the certificate against it)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return SERVER_SANS
    extra = 'IP:%s' % ip
    if ip.is_unspecified or extra in SERVER_SANS.split(','):
        return SERVER_SANS
    return SERVER_SANS + ',' + extra


def make_server(directory, host='127.0.0.1'):
    return _sign(directory, 'server', '/CN=kube-apiserver',
                 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n'
                 'extendedKeyUsage=serverAuth\nsubjectAltName=%s\n' % server_sans(host))


def _subject_part(value):
    return value.replace('\\', '\\\\').replace('/', '\\/').replace('=', '\\=')


def make_client(directory, user, groups=()):
    subject = ''.join('/O=' + _subject_part(g) for g in groups) + '/CN=' + _subject_part(user)
    stem = 'client-' + user.replace(':', '_').replace('/', '_')
    return _sign(directory, stem, subject,
                 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n'
                 'extendedKeyUsage=clientAuth\n')
