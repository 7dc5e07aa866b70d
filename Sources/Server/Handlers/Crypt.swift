#if canImport(Glibc)
import Glibc
#endif

/// libxcrypt's `crypt_rn(phrase, setting, data, size)`: NULL on failure, never a static buffer.
private typealias CryptRN = @convention(c) (
    UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutableRawPointer?, Int32
) -> UnsafeMutablePointer<CChar>?

/// `struct crypt_data` is 32 KiB in libxcrypt.
private let cryptDataSize = 32768

/// Resolved once, at first use: loading libcrypt at run time spares the package a link flag.
private let cryptRN: CryptRN? = {
    guard let library = dlopen("libcrypt.so.1", RTLD_NOW) ?? dlopen("libcrypt.so.2", RTLD_NOW),
          let symbol = dlsym(library, "crypt_rn")
    else { return nil }
    return unsafeBitCast(symbol, to: CryptRN.self)
}()

/// Hashes `password` with the scheme, cost and salt of `setting` (a full stored hash works as a setting)
/// through the system's crypt (libxcrypt: bcrypt, sha512-crypt, sha256-crypt, yescrypt, md5-crypt…).
/// Nil when libcrypt is missing, the scheme is unsupported or the password holds a NUL.
func cryptHash(_ password: [UInt8], setting: String) -> String? {
    guard let crypt = cryptRN, !password.contains(0) else { return nil }
    let data = UnsafeMutableRawPointer.allocate(byteCount: cryptDataSize, alignment: 16)
    defer {
        // The data area holds intermediate hash state: cleared before it is returned to the allocator.
        data.initializeMemory(as: UInt8.self, repeating: 0, count: cryptDataSize)
        data.deallocate()
    }
    data.initializeMemory(as: UInt8.self, repeating: 0, count: cryptDataSize)
    let phrase = password + [0]
    return phrase.withUnsafeBufferPointer { phrasePointer -> String? in
        phrasePointer.withMemoryRebound(to: CChar.self) { phraseChars -> String? in
            guard let result = crypt(phraseChars.baseAddress, setting, data, Int32(cryptDataSize)),
                  result.pointee != CChar(UInt8(ascii: "*"))
            else { return nil }
            return String(cString: result)
        }
    }
}

func cryptHash(_ password: String, setting: String) -> String? {
    cryptHash(Array(password.utf8), setting: setting)
}

/// Whether crypt() could be loaded; checked at configuration load so `auth_basic` never silently refuses all.
var isCryptAvailable: Bool { cryptRN != nil }
