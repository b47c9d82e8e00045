package gemini

import (
	"bytes"
	"encoding/base64"
	"path"
	"strings"
)

// Images. Gemini takes inline images as inlineData {mimeType, data} and
// images by reference as fileData {mimeType, fileUri}. Since early 2026 the
// Gemini API fetches public and pre-signed https URLs given as fileUri (as
// well as its own Files API URIs); it does not fetch plain http URLs, and it
// needs the MIME type up front. So an image URL is sent as fileData when it
// is https and its MIME type is known (from the request, or from the URL's
// file extension); anything else is *wire.Unsupported rather than a request
// Google would reject or answer without the image.

// imageTypes maps the file extensions Gemini accepts for images to their
// MIME types.
var imageTypes = map[string]string{
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".webp": "image/webp",
	".heic": "image/heic",
	".heif": "image/heif",
	".gif":  "image/gif",
}

// urlImageType guesses an image URL's MIME type from its path's extension.
func urlImageType(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return imageTypes[strings.ToLower(path.Ext(u))]
}

// sniffImageType returns the MIME type of base64 image data from its first
// bytes, or "" when it is not a known image format.
func sniffImageType(data string) string {
	n := min(len(data), 24) &^ 3
	head, err := base64.StdEncoding.DecodeString(data[:n])
	if err != nil {
		return ""
	}
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("GIF8")):
		return "image/gif"
	case len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		return "image/webp"
	}
	return ""
}

// parseDataURL splits "data:image/png;base64,AAAA" into its MIME type and
// base64 data.
func parseDataURL(u string) (mime, data string, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", "", false
	}
	meta, data, found := strings.Cut(rest, ",")
	if !found {
		return "", "", false
	}
	mime, enc, _ := strings.Cut(meta, ";")
	if enc != "base64" {
		return "", "", false
	}
	return mime, data, true
}

func isImageType(mime string) bool { return strings.HasPrefix(mime, "image/") }
