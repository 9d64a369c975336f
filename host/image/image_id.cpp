#include "host/image/image_id.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "host/image/file_source.hpp"

#include <cerrno>

namespace imgdeploy {

std::string resolve_local_image(const std::string& image_dir, const std::string& name) {
    std::string dir;
    try {
        dir = sys::realpath(image_dir);
    } catch (const SystemError& e) {
        throw Error("image_dir " + image_dir + " is not usable: " + e.what());
    }
    std::string wanted = dir + "/" + name;
    std::string real;
    try {
        real = sys::realpath(wanted);
    } catch (const SystemError& e) {
        if (e.code() == ENOENT) {
            throw Error("image '" + name + "' not found: no file " + wanted);
        }
        throw;
    }
    std::string prefix = dir == "/" ? dir : dir + "/";
    if (real.compare(0, prefix.size(), prefix) != 0) {
        throw Error("image '" + name + "' resolves to " + real + ", outside image_dir " + dir +
                    " (refused)");
    }
    auto st = sys::stat_if_exists(real);
    if (!st || !S_ISREG(st->st_mode)) {
        throw Error("image '" + name + "' (" + real + ") is not a regular file");
    }
    return real;
}

std::unique_ptr<ByteSource> open_image_source(const ImageId& id, const std::string& image_dir,
                                              const HttpOptions& http) {
    switch (id.kind) {
    case ImageIdKind::null:
        return std::make_unique<NullSource>();
    case ImageIdKind::url:
        return std::make_unique<HttpSource>(id.location, http);
    case ImageIdKind::local:
        return std::make_unique<FileSource>(resolve_local_image(image_dir, id.location));
    }
    throw Error("unknown image id kind");
}

}  // namespace imgdeploy
