package fake

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
)

// filePart is an uploaded file of a multipart request.
type filePart struct {
	name  string
	ctype string
	data  []byte
}

// readMultipart parses a multipart/form-data body as the API does: a
// wrong Content-Type is a 400, a body over the upload limit a 413. Files
// are the parts with a filename, by field name (the first of each).
func readMultipart(c *call) (map[string][]string, map[string]filePart, *APIError) {
	mt, params, err := mime.ParseMediaType(c.rec.ContentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, nil, invalid("", "Invalid Content-Type header (%s), expected multipart/form-data.", c.rec.ContentType)
	}
	if len(c.body) > maxUpload {
		return nil, nil, &APIError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error",
			Message: fmt.Sprintf("Maximum content size limit (%d) exceeded (%d bytes read)", maxUpload, len(c.body))}
	}
	mr := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
	form := map[string][]string{}
	files := map[string]filePart{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return form, files, nil
		}
		if err != nil {
			return nil, nil, invalid("", "Could not parse multipart form: %v", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, invalid("", "Could not parse multipart form: %v", err)
		}
		if part.FileName() != "" {
			if _, dup := files[part.FormName()]; !dup {
				files[part.FormName()] = filePart{name: part.FileName(), ctype: part.Header.Get("Content-Type"), data: data}
			}
			continue
		}
		form[part.FormName()] = append(form[part.FormName()], string(data))
	}
}

// formGetter reads the first value of a form field ("" when absent).
func formGetter(form map[string][]string) func(string) string {
	return func(k string) string {
		if v := form[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
}
