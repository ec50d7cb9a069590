-- expect: global 'rawset'
-- rawset would write past the read-only views of the libraries.
rawset(string, "upper", nil)
