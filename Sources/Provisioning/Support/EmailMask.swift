/// Emails in logs are masked: first character of the local part, then `***`.
public enum EmailMask {
    public static func mask(_ email: String) -> String {
        guard let at = email.lastIndex(of: "@"), at != email.startIndex else { return "***" }
        return "\(email[email.startIndex])***\(email[at...])"
    }
}
