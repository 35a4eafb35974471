using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace ZtnetInfra.Core.Settings;

/// <summary>
/// Reads an SSH public key blob (the base64 part of a .pub line) field by field, as the SSH
/// provider will: pulumi-command (provider/pkg/provider/remote/connection.go) hands ztnet:sshHostKey
/// to golang.org/x/crypto/ssh's ParseAuthorizedKey, which decodes the base64 and calls
/// ParsePublicKey (ssh/keys.go): a string naming the key type, then that type's fields
/// (parsePubKey: parseED25519, parseECDSA, parseSKECDSA, parseSKEd25519, parseRSA), and
/// "ssh: trailing junk in public key" for any byte left over. A key it refuses fails every step
/// at `up` with "failed to parse host key" while `preview` passes, so the same reading is done here.
/// </summary>
/// <remarks>
/// Wire encoding (RFC 4251 section 5): a string is a uint32 length, big-endian, then that many
/// bytes; an mpint is a string holding a two's complement big-endian integer. Written from the
/// format, not from the Go code.
/// </remarks>
public static class SshPublicKey
{
    private const string Fix = "copy the whole line of /etc/ssh/ssh_host_ed25519_key.pub from the server";

    /// <summary>Null when the blob is a complete key of <paramref name="declared"/>, else the problem.</summary>
    public static string? Check(string declared, byte[] blob)
    {
        var r = new Reader(blob);
        if (r.String() is not { } typeBytes || typeBytes.Length == 0)
            return $"the base64 key is not an SSH public key (it does not start with its key type): {Fix}";
        var inner = Encoding.ASCII.GetString(typeBytes);
        if (inner != declared)
            return $"the line says {declared} but the key itself is {Validate.Show(inner)}: keep the type and the key of one line of /etc/ssh/ssh_host_*_key.pub together";

        var problem = declared switch
        {
            "ssh-ed25519" => Ed25519(r),
            "sk-ssh-ed25519@openssh.com" => Ed25519(r) ?? Application(r),
            "ecdsa-sha2-nistp256" or "ecdsa-sha2-nistp384" or "ecdsa-sha2-nistp521" => Ecdsa(r, declared["ecdsa-sha2-".Length..]),
            "sk-ecdsa-sha2-nistp256@openssh.com" => Ecdsa(r, "nistp256") ?? Application(r),
            "ssh-rsa" => Rsa(r),
            _ => $"{declared} keys are not read by the SSH provider",
        };
        if (problem is not null) return $"the {declared} key is {problem}: {Fix}";
        if (r.Remaining > 0)
            return $"the {declared} key has {r.Remaining} byte{(r.Remaining == 1 ? "" : "s")} after its last field, which the SSH provider refuses (\"trailing junk in public key\"): {Fix}";
        return null;
    }

    private static string? Ed25519(Reader r) =>
        r.String() is not { } key ? "cut short: its 32-byte public key is missing or incomplete"
        : key.Length != 32 ? $"malformed: its public key is {key.Length} bytes, an Ed25519 key is 32"
        : null;

    /// <summary>Security-key types end with the application string (usually "ssh:").</summary>
    private static string? Application(Reader r) =>
        r.String() is null ? "cut short: the security key's application string is missing or incomplete" : null;

    private static string? Ecdsa(Reader r, string curve)
    {
        if (r.String() is not { } name) return "cut short: its curve name is missing or incomplete";
        var named = Encoding.ASCII.GetString(name);
        if (named != curve) return $"malformed: its curve is {Validate.Show(named)}, the type says {curve}";
        if (r.String() is not { } point) return "cut short: its public point is missing or incomplete";
        var size = curve switch { "nistp256" => 32, "nistp384" => 48, _ => 66 };
        // An uncompressed point (SEC 1, section 2.3.3): 0x04, then X and Y of the field's size.
        if (point.Length != 1 + 2 * size || point[0] != 4)
            return $"malformed: its public point is {point.Length} bytes, an uncompressed {curve} point is {1 + 2 * size} starting with 0x04";
        if (!OnCurve(curve, point.AsSpan(1, size).ToArray(), point.AsSpan(1 + size, size).ToArray()))
            return "malformed: its public point is not on the curve";
        return null;
    }

    /// <summary>The platform's EC import checks the point (Go's elliptic.Unmarshal refuses one off the curve too).</summary>
    private static bool OnCurve(string curve, byte[] x, byte[] y)
    {
        var named = curve switch { "nistp256" => ECCurve.NamedCurves.nistP256, "nistp384" => ECCurve.NamedCurves.nistP384, _ => ECCurve.NamedCurves.nistP521 };
        try
        {
            using var key = ECDsa.Create(new ECParameters { Curve = named, Q = new ECPoint { X = x, Y = y } });
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static string? Rsa(Reader r)
    {
        if (r.String() is not { } e) return "cut short: its exponent is missing or incomplete";
        if (r.String() is not { } n) return "cut short: its modulus is missing or incomplete";
        var exponent = new BigInteger(e, isUnsigned: false, isBigEndian: true);
        var modulus = new BigInteger(n, isUnsigned: false, isBigEndian: true);
        if (exponent < 3 || exponent.IsEven || exponent.GetBitLength() > 24) return "malformed: its exponent is not an odd number from 3 to 2^24";
        if (modulus.Sign <= 0 || modulus.GetBitLength() > 16384) return "malformed: its modulus is not a positive number of at most 16384 bits";
        return null;
    }

    /// <summary>Length-prefixed fields over a blob; null for a field that does not fit.</summary>
    private sealed class Reader(byte[] blob)
    {
        private int _at;

        public int Remaining => blob.Length - _at;

        public byte[]? String()
        {
            if (Remaining < 4) return null;
            var length = BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(_at, 4));
            if (length > (uint)(Remaining - 4)) return null;
            var field = blob.AsSpan(_at + 4, (int)length).ToArray();
            _at += 4 + (int)length;
            return field;
        }
    }
}
