/// `${VAR}` and `${VAR:-default}` in scalar values. Expanded per scalar after
/// parsing, so every value keeps its line and column and an expanded value
/// can never change the document's structure.
enum EnvironmentExpansion {
    enum Failure: Error, Equatable {
        case unset(String)
        case unterminated
    }

    static func expand(_ text: String, environment: [String: String]) -> Result<String, Failure> {
        guard text.contains("${") else { return .success(text) }
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            output += rest[..<start.lowerBound]
            let afterOpen = rest[start.upperBound...]
            guard let close = afterOpen.firstIndex(of: "}") else { return .failure(.unterminated) }
            let expression = afterOpen[..<close]
            if let separator = expression.range(of: ":-") {
                let name = String(expression[..<separator.lowerBound])
                let fallback = String(expression[separator.upperBound...])
                let value = environment[name] ?? ""
                output += value.isEmpty ? fallback : value
            } else {
                let name = String(expression)
                guard let value = environment[name] else { return .failure(.unset(name)) }
                output += value
            }
            rest = afterOpen[afterOpen.index(after: close)...]
        }
        output += rest
        return .success(output)
    }
}
