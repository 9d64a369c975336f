#include "host/image/image_id.hpp"

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/syscalls.hpp"
#include "host/image/file_source.hpp"

#include <cerrno>

namespace imgdeploy {

namespace {

void check_local_name(const std::string& img_id, const std::string& name) {
    if (name.empty()) {
        throw Error("img_id '" + img_id + "': empty image name");
    }
    if (name.front() == '/') {
        throw Error("img_id '" + img_id + "': the image name must be relative to image_dir");
    }
    for (const auto& part : split(name, '/')) {
        if (part.empty() || part == "." || part == "..") {
            throw Error("img_id '" + img_id + "': path component '" + part +
                        "' is not allowed in an image name");
        }
    }
}

}  // namespace

ImageId parse_image_id(const std::string& img_id) {
    if (img_id == "null") {
        return {ImageId::Kind::null, "", false};
    }
    for (const char* scheme : {"http://", "https://", "ftp://", "ftps://"}) {
        if (starts_with_icase(img_id, scheme)) {
            if (img_id.size() == std::string(scheme).size()) {
                throw Error("img_id '" + redact_url(img_id) + "': URL has no host");
            }
            return {ImageId::Kind::url, img_id, false};
        }
    }
    if (starts_with_icase(img_id, "local://")) {
        std::string name = img_id.substr(8);
        check_local_name(img_id, name);
        return {ImageId::Kind::local, name, false};
    }
    if (starts_with_icase(img_id, "file://")) {
        std::string name = img_id.substr(7);
        check_local_name(img_id, name);
        return {ImageId::Kind::local, name, true};
    }
    if (starts_with_icase(img_id, "pithos://") || starts_with_icase(img_id, "pithosmap://")) {
        throw Error("img_id '" + img_id + "': Pithos images are not supported by imgdeploy");
    }
    if (img_id.find(':') != std::string::npos) {
        throw Error("img_id '" + redact_url(img_id) +
                    "': unknown scheme (expected local://, http(s)://, ftp(s)://, file://, "
                    "null or a bare image name)");
    }
    check_local_name(img_id, img_id);
    return {ImageId::Kind::local, img_id, false};
}

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
    if (real.compare(0, dir.size() + 1, dir + "/") != 0) {
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
    case ImageId::Kind::null:
        return std::make_unique<NullSource>();
    case ImageId::Kind::url:
        return std::make_unique<HttpSource>(id.location, http);
    case ImageId::Kind::local:
        return std::make_unique<FileSource>(resolve_local_image(image_dir, id.location));
    }
    throw Error("unknown image id kind");
}

}  // namespace imgdeploy
